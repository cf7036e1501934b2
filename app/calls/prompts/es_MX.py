"""What the caller hears in Mexican Spanish."""

LANGUAGE = "es-MX"
# The text message's language: Verify's Locale.
LOCALE = "es"
# The <Say> voice, unless VOICE names another that speaks it.
VOICE = "Polly.Mia"

SENTENCES = {
    "greeting": "Gracias por llamar. Antes de atenderle, necesitamos confirmar que llama desde su propio teléfono.",
    "code_sent": "Acabamos de enviar un mensaje de texto con un código de {length} dígitos al teléfono desde el que llama.",
    "enter_code": "Marque el código y después la tecla de número. Si el mensaje no llegó, marque asterisco y después la tecla de número para recibir un código nuevo.",
    "enter_code:speech": "Marque o diga el código y después la tecla de número. Si el mensaje no llegó, marque asterisco y después la tecla de número para recibir un código nuevo.",
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
    "not_understood": "Lo sentimos, no entendimos eso como un número.",
    "offer_language": "Para español, oprima {digit}.",
    "channel_menu": "¿Cómo quiere recibir su código?",
    "choose:sms": "Para un mensaje de texto, oprima {digit}.",
    "choose:whatsapp": "Para WhatsApp, oprima {digit}.",
    "channel_failed:sms": "En este momento no podemos enviar un código por mensaje de texto.",
    "channel_failed:whatsapp": "En este momento no podemos enviar un código por WhatsApp.",
    "code_sent:whatsapp": "Acabamos de enviar un mensaje de WhatsApp con un código de {length} dígitos al teléfono desde el que llama.",
}
