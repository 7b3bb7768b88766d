"""Sample group exports (a WhatsApp chat, a Facebook group JSON) for the demo and tests."""
