"""Time to render a session's report (web page) and its PDF for a large session.

    .venv/bin/python bench/report_bench.py [--participants 300] [--runs 5]

Runs against a fresh SQLite file in a temporary folder (or DATABASE_URL if you set
BENCH_USE_DATABASE_URL=1), fills one revealed session with simulated participants, and prints
the median and worst of several runs as JSON.
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import machine  # noqa: E402


def setup_django(tmp: str) -> None:
    if not os.environ.get("BENCH_USE_DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_content", stdout=open(os.devnull, "w"))


def build_session(participants: int):
    from assessments.models import Questionnaire
    from workshop.models import Answer, Organisation, Participant, Session
    from workshop.services import add_note, create_session, move_to

    rng = random.Random(7)
    disciplines = ["Directie", "Marketing", "Educatie", "Collectie", "ICT", "Financiën", "Anders"]
    organisation = Organisation.objects.create(name="Bench", slug="bench")
    session = create_session(organisation, "Bench", disciplines)
    questions = Questionnaire.get_default().ordered_questions()
    answers = []
    for number in range(1, participants + 1):
        participant = Participant.objects.create(
            session=session, number=number, discipline=rng.choice(disciplines)
        )
        for question in questions:
            answers.append(Answer(participant=participant, question=question,
                                  option=rng.choice(list(question.options.all()))))
    Answer.objects.bulk_create(answers)
    for i in range(5):
        add_note(session, "agreement", f"Afspraak {i}", "Iemand")
    move_to(session, Session.ANSWERING)
    return move_to(session, Session.REVEALED)


def timed(function, runs: int) -> dict:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3),
            "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(tmp)
        from django.contrib.auth.models import User
        from django.test import Client

        session = build_session(args.participants)
        # Through the views, as a facilitator's browser asks for them.
        user = User.objects.create_user("bench")
        session.organisation.members.add(user)
        client = Client()
        client.force_login(user)

        # The PDF is streamed from an async iterator; the test client reads it in one go.
        warnings.filterwarnings("ignore", "StreamingHttpResponse must consume")

        def get(suffix: str) -> bytes:
            response = client.get(f"/sessions/{session.code}/{suffix}", HTTP_HOST="localhost")
            assert response.status_code == 200, response.status_code
            return b"".join(response)  # the PDF is streamed; the others have one part

        html, pdf = get("report/"), get("report.pdf")
        result = {
            "participants": args.participants,
            "machine": machine(),
            "database": "sqlite (temporary file)" if not os.environ.get("BENCH_USE_DATABASE_URL")
            else "DATABASE_URL",
            "report_html": timed(lambda: get("report/"), args.runs),
            "report_pdf": timed(lambda: get("report.pdf"), args.runs),
            "report_csv": timed(lambda: get("report.csv"), args.runs),
            "html_bytes": len(html),
            "pdf_bytes": len(pdf),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
