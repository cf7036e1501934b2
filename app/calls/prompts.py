"""Everything the caller hears, in one place, per language."""

from flask import current_app

PROMPTS = {
    "en-US": {
        "greeting": "Thanks for calling. Before we connect you, we need to confirm that you are calling from your own phone.",
        "code_sent": "We have just sent a text message with a {length} digit code to the phone you are calling from.",
        "enter_code": "Please enter the code now, then press pound. If the text did not arrive, press star, then pound, for a new code.",
        "no_input": "We did not hear anything.",
        "wrong_code": "That code is not right. Please try again.",
        "bad_format": "The code has {length} digits.",
        "resent": "We have sent you a new code.",
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
        "failed:unattested": "We cannot confirm that this call comes from the number it shows, so we cannot verify it with a text message.",
        "approved_account": "Thank you. You are verified as the account holder.",
        "greeting_account": "Thanks for calling. Before we connect you, we need to confirm that you are the account holder.",
        "enter_account": "Please enter your account number, then press pound.",
        "enter_account_or_pound": "Please enter your account number, then press pound. If you have no account number, just press pound.",
        "account_bad_format": "Account numbers have {low} to {high} digits.",
        "account_bad_length": "Account numbers have {high} digits.",
        "account_unknown": "We could not find an account with that number. Please try again.",
        "account_code_sent": "We have sent a code to the phone number on your account ending in {ending}.",
        "failed:no_account_number": "We did not receive an account number.",
        "failed:account_not_found": "We could not find your account.",
        "failed:account_unavailable": "We cannot look up your account right now.",
        "failed:account_locked": "This account has failed verification too many times, so we cannot send it another code.",
        "failed:phone_on_file_unusable": "We cannot send a code to the phone number on your account, so we cannot verify you this way.",
    },
    "es-MX": {
        "greeting": "Gracias por llamar. Antes de atenderle, necesitamos confirmar que llama desde su propio teléfono.",
        "code_sent": "Acabamos de enviar un mensaje de texto con un código de {length} dígitos al teléfono desde el que llama.",
        "enter_code": "Marque el código y después la tecla de número. Si el mensaje no llegó, marque asterisco y después la tecla de número para recibir un código nuevo.",
        "no_input": "No escuchamos nada.",
        "wrong_code": "Ese código no es correcto. Inténtelo de nuevo.",
        "bad_format": "El código tiene {length} dígitos.",
        "resent": "Le enviamos un código nuevo.",
        "no_more_resends": "No podemos enviar otro código en esta llamada, pero el código que enviamos sigue siendo válido.",
        "expired_resent": "Ese código venció, así que le enviamos uno nuevo.",
        "approved": "Gracias. Su número de teléfono está verificado.",
        "goodbye": "Adiós.",
        "to_agent": "Espere un momento mientras le comunicamos con un agente.",
        "call_back": "Llame más tarde o comuníquese con nosotros por otro medio. Adiós.",
        "failed:withheld": "No podemos ver el número desde el que llama, así que no podemos enviarle un código.",
        "failed:invalid_number": "No podemos enviar un mensaje de texto al número desde el que llama.",
        "failed:undeliverable": "El número desde el que llama no puede recibir mensajes de texto.",
        "failed:rate_limited": "Se han pedido demasiados códigos para este número. Espere unos minutos antes de intentarlo de nuevo.",
        "failed:blocked": "No podemos enviar un código al número desde el que llama.",
        "failed:country_not_allowed": "No podemos enviar un código al número desde el que llama.",
        "failed:sends_capped": "En este momento se están enviando demasiados códigos, así que no podemos enviarle uno.",
        "failed:unavailable": "No podemos verificar su teléfono en este momento.",
        "failed:no_input": "No recibimos ningún código.",
        "failed:too_many_attempts": "El código fue incorrecto demasiadas veces.",
        "failed:expired": "Su código venció.",
        "failed:error": "Lo sentimos, algo salió mal de nuestro lado.",
        "failed:locked": "Este número no pasó la verificación demasiadas veces, así que no podemos enviarle otro código.",
        "failed:unattested": "No podemos confirmar que esta llamada viene del número que muestra, así que no podemos verificarla con un mensaje de texto.",
        "approved_account": "Gracias. Está verificado como titular de la cuenta.",
        "greeting_account": "Gracias por llamar. Antes de atenderle, necesitamos confirmar que usted es el titular de la cuenta.",
        "enter_account": "Marque su número de cuenta y después la tecla de número.",
        "enter_account_or_pound": "Marque su número de cuenta y después la tecla de número. Si no tiene número de cuenta, marque solo la tecla de número.",
        "account_bad_format": "Los números de cuenta tienen de {low} a {high} dígitos.",
        "account_bad_length": "Los números de cuenta tienen {high} dígitos.",
        "account_unknown": "No encontramos una cuenta con ese número. Inténtelo de nuevo.",
        "account_code_sent": "Enviamos un código al teléfono registrado en su cuenta que termina en {ending}.",
        "failed:no_account_number": "No recibimos ningún número de cuenta.",
        "failed:account_not_found": "No encontramos su cuenta.",
        "failed:account_unavailable": "No podemos consultar su cuenta en este momento.",
        "failed:account_locked": "Esta cuenta no pasó la verificación demasiadas veces, así que no podemos enviarle otro código.",
        "failed:phone_on_file_unusable": "No podemos enviar un código al teléfono registrado en su cuenta, así que no podemos verificarle de esta forma.",
    },
}


# The <Say> voice of each language, unless VOICE names another that speaks it.
VOICES = {"en-US": "Polly.Joanna", "es-MX": "Polly.Mia"}


def voice(config):
    """The <Say> voice: VOICE, or the language's own."""
    return config["VOICE"] or VOICES.get(config["LANGUAGE"], VOICES["en-US"])


def text(key, **values):
    """The sentence `key` in the configured language."""
    prompts = PROMPTS.get(current_app.config["LANGUAGE"], PROMPTS["en-US"])
    return prompts[key].format(**values)


def say(twiml, *keys, **values):
    """Add the sentences `keys` to a TwiML verb as one <Say> in the configured voice."""
    config = current_app.config
    sentence = " ".join(text(key, **values) for key in keys)
    twiml.say(sentence, voice=voice(config), language=config["LANGUAGE"])
