"""Calling landlines back: a text cannot reach a landline, so the IVR calls the number back and asks for a key.

offer.py promises the callback to the caller, place.py places it once the caller's call has
ended, answer.py runs the call placed back: a person presses 1 and is verified (method
"callback"); a machine, no key, no answer or busy ends it `callback_unanswered`.
"""

from app.calls.callback.offer import offer

__all__ = ["init_app", "offer"]


def init_app(app):
    """Mount the callback's webhooks."""
    # Here, not at the top: the steps use the subflow, which imports this package for offer().
    from app.calls.callback import answer

    if answer.bp.name not in app.blueprints:
        app.register_blueprint(answer.bp)
