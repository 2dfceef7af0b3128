"""Alerts: tell a person when the gateway needs one (issue 22).

- ``settings.py``: what an operator configures per system (e-mail over SMTP with STARTTLS,
  a JSON webhook; thresholds, language, rate limit), part of the configuration document.
- ``events.py``: the events, and ``signal`` calls the code paths make (a breaker trip, a
  DocuWare licence shortage, a casavi contract deviation) without knowing about alerts.
- ``store.py``: incidents (one open per system, event and subject) and the outbox of
  notifications, in the gateway's own database.
- ``monitor.py``: turns signals and the shared state (runs, the inbox) into incidents, the
  incidents into notifications, and delivers them (``channels.py``, ``messages.py``).
- ``overview.py``: what the console's overview and the API show.
"""
