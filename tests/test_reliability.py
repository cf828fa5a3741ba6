"""Issue 5's promises end to end through the CLI: nothing lost under faults, keys never leak."""

import subprocess
import sys
from pathlib import Path

from ingest.sandbox import SandboxConfig, start
from tests.conftest import stored_boxes

ROOT = Path(__file__).parent.parent
SECRET = "pat-4f1d9c-very-secret"


def upload(server, path: Path, *extra: str, pat: str | None = None) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "ingest", "upload", str(path), "--base", server.address, "--insecure",
            "--pat", pat or server.config.pat, "--user-id", server.config.user_id,
            "--app-id", server.config.app_id, *extra]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_faults_after_and_before_storing_throttling_and_latency_lose_nothing(tmp_path):
    path, boxes = tmp_path / "no-ids.csv", tmp_path / "boxes.csv"
    path.write_text("url,pos_concepts\n" + "".join(f"https://h.test/{i}.jpg,c{i % 5}\n" for i in range(3000)))
    boxes.write_text("url,concept,left_col,top_row,right_col,bottom_row\n"
                     + "".join(f"https://h.test/{i}.jpg,box,0.1,0.1,0.5,0.5\n" for i in range(3000)))
    config = SandboxConfig(fail_rate=0.15, commit_fail_rate=0.10, throttle_rps=20, latency_ms=30, seed=3)
    with start(config) as server:
        result = upload(server, path, "--batch-size", "32", "--boxes", str(boxes))
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        urls = {item.id: item.data.image.url for item in server.stored_inputs()}
        assert len(urls) == 3000 == len(set(urls.values()))
        assert sorted(stored_boxes(server)) == sorted((input_id, "box", (0.1, 0.1, 0.5, 0.5)) for input_id in urls)
        stats = server.stats()
        assert stats.faults > 0 and stats.throttled > 0
        assert "retry 2/8 in" in result.stderr


def test_the_key_appears_in_no_output_report_journal_or_log(tmp_path, state_dir):
    path = tmp_path / "rows.csv"
    path.write_text("url,input_id\nhttps://h.test/a.jpg,a\nnot-a-url,b\n")
    with start(SandboxConfig(pat=SECRET, fail_rate=0.3, seed=1)) as server:
        good = upload(server, path, "--report", str(tmp_path / "report.csv"), "--failed", str(tmp_path / "f.csv"),
                      pat=SECRET)
        path.write_text("url,input_id\nhttps://h.test/c.jpg,c\n")
        bad = upload(server, path, pat=SECRET + "-wrong")
    assert good.returncode == 1 and bad.returncode == 2
    artifacts = [good.stdout, good.stderr, bad.stdout, bad.stderr]
    artifacts += [p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file()]
    assert len(artifacts) > 6
    assert not [text for text in artifacts if SECRET in text]
