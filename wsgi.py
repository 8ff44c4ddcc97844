"""WSGI entry point: ``gunicorn wsgi:app``.

With ``SURVEY_WARM_RESULTS=N`` and ``gunicorn --preload`` the results pages of the N
campaigns opened last are worked out here, in the master process, before the
workers are forked (survey.results.warm): no evaluator waits for a fresh worker.
"""

import os

from survey import create_app

app = create_app()

if int(os.environ.get("SURVEY_WARM_RESULTS") or 0) > 0:
    from survey.extensions import db
    from survey.results.warm import warm_results

    with app.app_context():
        try:
            warmed = warm_results(int(os.environ["SURVEY_WARM_RESULTS"]))
            app.logger.info("results worked out before the workers start: %s", warmed)
        except Exception:  # noqa: BLE001 - a head start only: the app serves without it
            app.logger.exception("results not worked out before the workers start")
        finally:
            db.session.remove()
            db.engine.dispose()  # the workers open connections of their own, not the master's
