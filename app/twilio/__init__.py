"""Twilio's side: the Verify wrapper, the HTTP seam, the local stand-in, number configuration."""
