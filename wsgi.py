"""WSGI entry point: ``gunicorn wsgi:app``.

With ``SURVEY_WARM_RESULTS=N`` and ``gunicorn --preload`` the results pages of the N
campaigns opened last are worked out here, in the master process, before the
workers are forked (survey.results.warm): no evaluator waits for a fresh worker.
"""

import gc
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

# What is made by now (the app, its models and tables, its extensions, any results warmed)
# lives as long as the process. Frozen out of the garbage collector's view, it is not walked
# again by every full collection: in process, the app's some 260,000 objects made a full
# collection cost about 140 ms, once in about 300 cards, a tenth of a card's CPU; in the
# gunicorn bench a card's workers' CPU went from about 5.2 to 4.7 ms. With --preload it is
# frozen before the fork, so the workers' collections leave the shared pages alone too.
gc.freeze()
