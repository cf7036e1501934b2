"""Verification by account: the caller keys in an account number, the code goes to the phone on file.

One bounded Gather (entry.py) in front of the verification subflow, whose destination becomes the
phone on file (step.py); the account comes from a source with one method,
`on_file(account_number, call_sid)`: what is on file (app.storage.accounts.OnFile: the phone,
and the email if any), None for no such account, or AccountLookupFailed. This app's own table is one (app/storage/accounts.py), a CRM another
(app/storage/crm.py); a host IVR passes its own to init_app.
"""

from app.calls.account.step import Refused, bp, failed, greet, hand_over_known, init_app, look_up

__all__ = ["Refused", "bp", "failed", "greet", "hand_over_known", "init_app", "look_up"]
