"""What the caller hears in American English."""

LANGUAGE = "en-US"
# The text message's language: Verify's Locale.
LOCALE = "en"
# The <Say> voice, unless VOICE names another that speaks it.
VOICE = "Polly.Joanna"

SENTENCES = {
    "greeting": "Thanks for calling. Before we connect you, we need to confirm that you are calling from your own phone.",
    "code_sent": "We have just sent a text message with a {length} digit code to the phone you are calling from.",
    "enter_code": "Please enter the code now, then press pound.",
    "enter_code:speech": "Please key in or say the code now, then press pound.",
    # Said only while the call may still ask for the code again.
    "offer_resend": "If the message did not arrive, press star, then pound, and we will send it again.",
    "no_input": "We did not hear anything.",
    "wrong_code": "That code is not right. Please try again.",
    "bad_format": "The code has {length} digits.",
    "resent": "We have sent the code again.",
    "no_more_resends": "We cannot send another code on this call, but the code we sent still works.",
    "expired_resent": "That code has expired, so we have sent you a new one.",
    "approved": "Thank you. Your phone number is verified.",
    "goodbye": "Goodbye.",
    "to_agent": "Please hold while we connect you to an agent.",
    "call_back": "Please call back later, or contact us another way. Goodbye.",
    "failed:withheld": "We cannot see the number you are calling from, so we cannot text you a code.",
    "failed:invalid_number": "We cannot send a text message to the number you are calling from.",
    "failed:undeliverable": "The number you are calling from cannot receive text messages.",
    "failed:rate_limited": "Too many codes have been requested for this number. Please wait a few minutes before trying again.",
    "failed:blocked": "We are not able to send a code to the number you are calling from.",
    "failed:country_not_allowed": "We are not able to send a code to the number you are calling from.",
    "failed:sends_capped": "Too many codes are being sent right now, so we cannot send you one.",
    "failed:unavailable": "We cannot verify your phone right now.",
    "failed:no_input": "We did not receive a code.",
    "failed:too_many_attempts": "The code was not right too many times.",
    "failed:expired": "Your code has expired.",
    "failed:error": "Sorry, something went wrong on our side.",
    "failed:locked": "This number has failed verification too many times, so we cannot send it another code.",
    # Risk checks (RISK_CHECKS): a swapped SIM is not named, lest its thief learn why.
    "failed:landline": "We cannot send a text message to this phone line, so we cannot verify it this way.",
    "failed:line_type_not_supported": "We cannot send a code to this kind of phone number.",
    "failed:sim_swapped": "We cannot verify this phone right now.",
    "failed:lookup_unavailable": "We cannot verify your phone right now.",
    "failed:unattested": "We cannot confirm that this call comes from the number it shows, so we cannot verify it with a text message.",
    "not_understood": "Sorry, we did not understand that as a number.",
    "offer_language": "For English, press {digit}.",
    "channel_menu": "How should we send your code?",
    "choose:sms": "For a text message, press {digit}.",
    "choose:whatsapp": "For WhatsApp, press {digit}.",
    "channel_failed:sms": "We cannot send a code by text message right now.",
    "channel_failed:whatsapp": "We cannot send a code by WhatsApp right now.",
    "code_sent:whatsapp": "We have just sent a WhatsApp message with a {length} digit code to the phone you are calling from.",
    # Email, by account only: the address is told by its domain alone, its dots said as "dot".
    "dot": "dot",
    "choose:email": "For an email to the address on file at {domain}, press {digit}.",
    "channel_failed:email": "We cannot send a code by email right now.",
    "code_sent:email": "We have sent an email with a {length} digit code to the email address on file at {domain}.",
    "phone_cannot_text": "The phone number on your account cannot receive text messages.",
    "failed:email_unavailable": "We cannot send a code by email right now, so we cannot verify you this way.",
    # Verification by account (VERIFY_BY).
    "approved_account": "Thank you. You are verified as the account holder.",
    "greeting_account": "Thanks for calling. Before we connect you, we need to confirm that you are the account holder.",
    "enter_account": "Please enter your account number, then press pound.",
    "enter_account_or_pound": "Please enter your account number, then press pound. If you have no account number, just press pound.",
    "enter_account:speech": "Please key in or say your account number, then press pound.",
    "enter_account_or_pound:speech": "Please key in or say your account number, then press pound. If you have no account number, press pound or say no account.",
    "account_bad_format": "Account numbers have {low} to {high} digits.",
    "account_bad_length": "Account numbers have {high} digits.",
    "account_unknown": "We could not find an account with that number. Please try again.",
    "account_code_sent": "We have sent a code to the phone number on your account ending in {ending}.",
    "failed:no_account_number": "We did not receive an account number.",
    "failed:account_not_found": "We could not find your account.",
    "failed:account_unavailable": "We cannot look up your account right now.",
    "failed:account_locked": "This account has failed verification too many times, so we cannot send it another code.",
    "failed:phone_on_file_unusable": "We cannot send a code to the phone number on your account, so we cannot verify you this way.",
    # The calling phone has keyed all the account numbers its count allows (LOCKOUT_WINDOW).
    "failed:unknown_accounts": "Too many account numbers have been entered from this phone, so we cannot look one up right now.",
    # Callers who withhold their number ran into their shared count of account numbers (a few minutes).
    "failed:withheld_entries": "We could not verify this account right now. Please call again with your number shown.",
    # Calling landlines back (CALLBACK): the caller, then whoever answers the call back.
    "callback_offer": "A text message cannot reach the line you are calling from, so we will call this number back within a minute. Please hang up and answer when it rings. Goodbye.",
    "callback_offer_named": "A text message cannot reach the phone number ending in {ending}, so we will call that number back within a minute. Please answer it there. Goodbye.",
    "callback_offer_account": "A text message cannot reach the phone number on your account ending in {ending}, so we will call that number back within a minute. Please answer it there. Goodbye.",
    "callback_answered": "Hello. This is the automated verification line you called a moment ago, calling back to confirm this phone number. To continue, press 1.",
    "failed:callback_unanswered": "We called your number back, but nobody confirmed the call.",
    # An agent's mid-call verification ended, but the agent's conference has (app/calls/agent.py).
    # A number the Studio flow or the agent named, not the one called from (app/calls/studio.py, app/api).
    "named_code_sent": "We have sent a code to the phone number ending in {ending}.",
    "failed:invalid_number:named": "We cannot send a text message to the phone number ending in {ending}.",
    "failed:undeliverable:named": "The phone number ending in {ending} cannot receive text messages.",
    "failed:blocked:named": "We are not able to send a code to the phone number ending in {ending}.",
    "failed:country_not_allowed:named": "We are not able to send a code to the phone number ending in {ending}.",
    "agent_gone": "The agent you were speaking with has left the call.",
}
