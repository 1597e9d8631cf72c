"""The HTTP/JSON front door: transcodes to the services from their google.api.http annotations."""
