"""The front door: contacts and requests for support, and the decision on each in time."""
