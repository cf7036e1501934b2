"""The whisper: what an agent hears on answering, before the caller is put through."""

import logging

from flask import Blueprint, Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from app.calls import prompts
from app.calls.handoff.verdict import BadVerdict, read
from app.calls.security import logged_sid, twilio_request

log = logging.getLogger(__name__)

bp = Blueprint("handoff", __name__, url_prefix="/handoff")

WHISPERS = {
    "en-US": {
        "approved": "Verified caller.",
        "approved_account": "Verified account holder.",
        "approved_named_number": "Verified the number ending in {ending}.",
        "failed": "Caller not verified: {reason}.",
        "failed_unexplained": "Caller not verified.",
        "unknown": "Verification status unknown.",
        "approved_callback": "Verified by calling back the caller's number.",
        "approved_callback_account": "Verified by calling back the number on file.",
        # A risk the checks flagged, said after the verdict.
        "risks": {
            "sim_swap": "The SIM card was changed recently.",
            "forwarding": "Calls to the line are being forwarded.",
            "line_type": "The line is an internet phone number.",
            "unknown": "Risk checks could not be made.",
        },
        "reasons": {
            "withheld": "the caller ID is withheld",
            "invalid_number": "the caller ID is not a valid number",
            "undeliverable": "their number cannot receive text messages",
            "rate_limited": "too many codes were requested for their number",
            "blocked": "codes cannot be sent to their number",
            "unavailable": "verification was unavailable",
            "no_input": "no code was entered",
            "too_many_attempts": "the code was wrong too many times",
            "expired": "the code expired",
            "locked": "their number is locked out after failed verifications",
            "unattested": "the carrier did not vouch for their caller ID",
            "country_not_allowed": "codes are not sent to their country",
            "sends_capped": "the hourly limit of codes sent was reached",
            "error": "something went wrong on our side",
            "no_account_number": "no account number was entered",
            "account_not_found": "no account was found for the numbers entered",
            "account_unavailable": "accounts could not be looked up",
            "account_locked": "the account is locked out after failed verifications",
            "phone_on_file_unusable": "the phone on file for the account cannot receive a code",
            "unknown_accounts": "too many account numbers were keyed from their phone",
            "withheld_entries": "too many account numbers were keyed by callers who withhold their number",
            "landline": "their line is a landline, which cannot receive text messages",
            "line_type_not_supported": "their number is of a kind that cannot be verified",
            "sim_swapped": "the SIM card of their number was changed recently",
            "lookup_unavailable": "the risk checks on their number were unavailable",
            "callback_unanswered": "their landline was called back and nobody confirmed",
            "email_unavailable": "the code could not be sent to the email on file",
        },
    },
    "es-MX": {
        "approved": "Cliente verificado.",
        "approved_account": "Titular de la cuenta verificado.",
        "approved_named_number": "Verificado el número que termina en {ending}.",
        "failed": "Cliente no verificado: {reason}.",
        "failed_unexplained": "Cliente no verificado.",
        "unknown": "Estado de verificación desconocido.",
        "approved_callback": "Verificado al devolver la llamada al número del cliente.",
        "approved_callback_account": "Verificado al devolver la llamada al número registrado en la cuenta.",
        "risks": {
            "sim_swap": "La tarjeta SIM se cambió recientemente.",
            "forwarding": "Las llamadas a la línea se están desviando.",
            "line_type": "La línea es un número telefónico por internet.",
            "unknown": "No se pudieron hacer las comprobaciones de riesgo.",
        },
        "reasons": {
            "withheld": "el identificador de llamada está oculto",
            "invalid_number": "el identificador de llamada no es un número válido",
            "undeliverable": "su número no puede recibir mensajes de texto",
            "rate_limited": "se pidieron demasiados códigos para su número",
            "blocked": "no se pueden enviar códigos a su número",
            "unavailable": "la verificación no estaba disponible",
            "no_input": "no marcó ningún código",
            "too_many_attempts": "el código fue incorrecto demasiadas veces",
            "expired": "el código venció",
            "locked": "su número está bloqueado por verificaciones fallidas",
            "unattested": "el operador no avaló su identificador de llamada",
            "country_not_allowed": "no se envían códigos a su país",
            "sends_capped": "se alcanzó el límite de códigos por hora",
            "error": "ocurrió un error de nuestra parte",
            "no_account_number": "no marcó ningún número de cuenta",
            "account_not_found": "no se encontró ninguna cuenta con los números marcados",
            "account_unavailable": "no se pudieron consultar las cuentas",
            "account_locked": "la cuenta está bloqueada por verificaciones fallidas",
            "phone_on_file_unusable": "el teléfono registrado en la cuenta no puede recibir un código",
            "unknown_accounts": "se marcaron demasiados números de cuenta desde su teléfono",
            "withheld_entries": "se marcaron demasiados números de cuenta desde números ocultos",
            "landline": "su línea es fija y no puede recibir mensajes de texto",
            "line_type_not_supported": "su número es de un tipo que no se puede verificar",
            "sim_swapped": "la tarjeta SIM de su número se cambió hace poco",
            "lookup_unavailable": "no se pudieron hacer las comprobaciones de riesgo de su número",
            "callback_unanswered": "se le devolvió la llamada a su teléfono fijo y nadie confirmó",
            "email_unavailable": "no se pudo enviar el código al correo registrado",
        },
    },
    "fr-CA": {
        "approved": "Appelant vérifié.",
        "approved_account": "Titulaire du compte vérifié.",
        "approved_named_number": "Le numéro se terminant par {ending} est vérifié.",
        "failed": "Appelant non vérifié : {reason}.",
        "failed_unexplained": "Appelant non vérifié.",
        "unknown": "Statut de vérification inconnu.",
        "approved_callback": "Vérifié en rappelant le numéro de l'appelant.",
        "approved_callback_account": "Vérifié en rappelant le numéro inscrit au dossier.",
        "risks": {
            "sim_swap": "La carte SIM a été changée récemment.",
            "forwarding": "Les appels vers cette ligne sont renvoyés.",
            "line_type": "La ligne est un numéro de téléphonie Internet.",
            "unknown": "Les vérifications de risque n'ont pas pu être faites.",
        },
        "reasons": {
            "withheld": "son numéro est masqué",
            "invalid_number": "son numéro affiché n'est pas valide",
            "undeliverable": "son numéro ne peut pas recevoir de messages texte",
            "rate_limited": "trop de codes ont été demandés pour son numéro",
            "blocked": "aucun code ne peut être envoyé à son numéro",
            "unavailable": "la vérification n'était pas disponible",
            "no_input": "aucun code n'a été entré",
            "too_many_attempts": "un code incorrect a été entré trop de fois",
            "expired": "le code a expiré",
            "locked": "son numéro est bloqué après des vérifications échouées",
            "unattested": "l'opérateur n'a pas authentifié son numéro affiché",
            "country_not_allowed": "aucun code n'est envoyé vers son pays",
            "sends_capped": "la limite horaire de codes envoyés a été atteinte",
            "error": "un problème est survenu de notre côté",
            "no_account_number": "aucun numéro de compte n'a été entré",
            "account_not_found": "aucun compte ne correspond aux chiffres entrés",
            "account_unavailable": "les comptes n'ont pas pu être consultés",
            "account_locked": "le compte est bloqué après des vérifications échouées",
            "phone_on_file_unusable": "le téléphone inscrit au compte ne peut pas recevoir de code",
            "unknown_accounts": "trop de numéros de compte ont été entrés à partir de son téléphone",
            "withheld_entries": "trop de numéros de compte ont été entrés par des appelants au numéro masqué",
            "landline": "l'appel vient d'une ligne fixe, qui ne peut pas recevoir de messages texte",
            "line_type_not_supported": "son numéro est d'un type qui ne peut pas être vérifié",
            "sim_swapped": "la carte SIM de son numéro a été changée récemment",
            "lookup_unavailable": "les vérifications de risque sur son numéro n'étaient pas disponibles",
            "callback_unanswered": "sa ligne fixe a été rappelée et personne n'a confirmé",
            "email_unavailable": "le code n'a pas pu être envoyé au courriel inscrit au dossier",
        },
    },
    "pt-BR": {
        "approved": "Cliente verificado.",
        "approved_account": "Titular da conta verificado.",
        "approved_named_number": "Número com final {ending} verificado.",
        "failed": "Cliente não verificado: {reason}.",
        "failed_unexplained": "Cliente não verificado.",
        "unknown": "Situação da verificação desconhecida.",
        "approved_callback": "Verificado com retorno de ligação para o número do cliente.",
        "approved_callback_account": "Verificado com retorno de ligação para o número cadastrado.",
        "risks": {
            "sim_swap": "O chip foi trocado recentemente.",
            "forwarding": "As ligações para esta linha estão sendo desviadas.",
            "line_type": "A linha é um número de telefonia pela internet.",
            "unknown": "Não foi possível fazer as verificações de risco.",
        },
        "reasons": {
            "withheld": "o número do cliente não foi identificado",
            "invalid_number": "o número identificado não é válido",
            "undeliverable": "o número do cliente não recebe SMS",
            "rate_limited": "foram pedidos códigos demais para o número do cliente",
            "blocked": "não é possível enviar códigos para o número do cliente",
            "unavailable": "a verificação estava indisponível",
            "no_input": "nenhum código foi digitado",
            "too_many_attempts": "o código foi informado incorretamente muitas vezes",
            "expired": "o código expirou",
            "locked": "o número do cliente está bloqueado após verificações com falha",
            "unattested": "a operadora não confirmou o número identificado",
            "country_not_allowed": "não enviamos códigos para o país do cliente",
            "sends_capped": "o limite de códigos enviados por hora foi atingido",
            "error": "tivemos um problema no nosso sistema",
            "no_account_number": "nenhum número de conta foi digitado",
            "account_not_found": "nenhuma conta foi encontrada com os números digitados",
            "account_unavailable": "não foi possível consultar as contas",
            "account_locked": "a conta está bloqueada após verificações com falha",
            "phone_on_file_unusable": "o telefone cadastrado na conta não pode receber um código",
            "unknown_accounts": "foram digitados números de conta demais a partir do telefone do cliente",
            "withheld_entries": "foram digitados números de conta demais por clientes com número não identificado",
            "landline": "a linha do cliente é fixa e não recebe SMS",
            "line_type_not_supported": "o número do cliente é de um tipo que não pode ser verificado",
            "sim_swapped": "o chip do número do cliente foi trocado recentemente",
            "lookup_unavailable": "as verificações de risco do número do cliente estavam indisponíveis",
            "callback_unanswered": "ligamos de volta para o fixo do cliente e ninguém confirmou",
            "email_unavailable": "não foi possível enviar o código para o e-mail cadastrado",
        },
    },
}


@bp.post("/whisper")
@twilio_request
def whisper():
    """The agent's leg: Twilio posts its own CallSid, and the caller's, which the verdict names, as ParentCallSid."""
    config = current_app.config
    # The caller's language, when they chose one: the URL is this server's, and Twilio signed it.
    chosen = request.args.get("l", "")
    language = chosen if chosen in current_app.extensions["verification"]["languages"] else config["LANGUAGE"]
    phrases = WHISPERS.get(language, WHISPERS["en-US"])
    caller_sid = request.form.get("ParentCallSid", "")
    try:
        verdict = read(request.args.get("v", ""), current_app.extensions["handoff"]["whisper_key"], caller_sid)
    except BadVerdict as error:
        log.warning("call %s: whisper's verdict refused: %s", logged_sid("ParentCallSid"), error)
        sentence = phrases["unknown"]
    else:
        sentence = _sentence(phrases, verdict)
    response = VoiceResponse()
    response.say(sentence, voice=prompts.voice(config, language), language=language)
    # Not the hot path's writer (app.calls.twiml), which imports this package: once per agent call.
    return Response(str(response), mimetype="text/xml")


def _sentence(phrases, verdict):
    """The verdict, then each risk the checks flagged."""
    return " ".join([_verdict(phrases, verdict), *(phrases["risks"][risk] for risk in flagged(verdict))])


def _verdict(phrases, verdict):
    if verdict.approved:
        if verdict.method == "callback":
            return phrases["approved_callback_account" if verdict.account else "approved_callback"]
        if verdict.method == "named_number":
            return phrases["approved_named_number"].format(ending=" ".join(verdict.number[-2:]))
        return phrases["approved_account" if verdict.method == "account" else "approved"]
    if verdict.reason in phrases["reasons"]:
        return phrases["failed"].format(reason=phrases["reasons"][verdict.reason])
    return phrases["failed_unexplained"]


# Failures that say a risk already: the whisper does not repeat it.
SAID_BY_REASON = {"sim_swapped": "sim_swap", "lookup_unavailable": "unknown"}


def flagged(verdict):
    """The risks worth an agent's ear: sim_swap, forwarding, line_type (an internet number), unknown."""
    risks = [
        name
        for name, risky in (("sim_swap", "recent"), ("forwarding", "on"), ("line_type", "nonFixedVoip"))
        if getattr(verdict, name) == risky
    ]
    # A SIM swap or forwarding not known, or nothing known at all: Lookup failed (RISK_ON_LOOKUP_ERROR=allow).
    facts = [fact for fact in (verdict.line_type, verdict.sim_swap, verdict.forwarding) if fact]
    if "unknown" in (verdict.sim_swap, verdict.forwarding) or (facts and set(facts) == {"unknown"}):
        risks.append("unknown")
    return [risk for risk in risks if risk != SAID_BY_REASON.get(verdict.reason)]
