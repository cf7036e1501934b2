"""The burst benchmark: a Verify stand-in server, the server under test, and a load generator."""
