"""``sejajar serve``: the translation service. An ASGI app (FastAPI, run by uvicorn) with
LibreTranslate's API for the clients that already speak it and sejajar's own under ``/v1``.

The layer sits above the jobs and below the command line. Where each part lives:
``settings`` (the service's own settings and their checks), ``batcher`` (the one queue that
concurrent requests share on their way to the model), ``service`` (the model, the queue and
what a request's text becomes), ``passages`` (a text or an HTML fragment split as
``translate`` splits it and put back together), ``detect`` (Indonesian or English),
``keys`` (API keys and quotas), ``metrics`` (Prometheus), ``app`` (the app, its limits and
errors), ``libre`` and ``native`` (the two APIs' routes).
"""
