import json
import subprocess
import sys

from audit.cli import main


def test_profiles_lists_the_five_seeds(capsys):
    assert main(["profiles"]) == 0
    out = capsys.readouterr().out
    for name in ("nanchang-2019", "yuncheng-2023", "yangquan-2019", "guizhou-2023", "sandu-2021"):
        assert name in out


def test_profiles_show(capsys):
    assert main(["profiles", "show", "sandu-2021"]) == 0
    assert "appraisal_min_members = 20" in capsys.readouterr().out


def test_unknown_profile_is_a_clear_error(capsys, county, tmp_path):
    assert main(["run", str(county), "--profile", "nowhere", "--out", str(tmp_path)]) == 2
    assert "找不到政策配置 'nowhere'" in capsys.readouterr().err


def test_generate_and_run_as_python_module(tmp_path):
    ws, out = tmp_path / "ws", tmp_path / "out"
    subprocess.run(
        [sys.executable, "-m", "audit", "generate", "--residents", "3000", "--seed", "2", "--out", str(ws), "--messy"],
        check=True,
    )
    r = subprocess.run(
        [sys.executable, "-m", "audit", "run", str(ws), "--out", str(out), "--quiet"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert "审计完成" in r.stdout
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["findings"]["total"] > 0


def test_ci_runs_the_readme_test_command():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8").splitlines()
    blocks = [readme[i + 1] for i, line in enumerate(readme[:12]) if line.startswith("```bash")]
    assert len(blocks) >= 2 and blocks[1].startswith('pip install -e ".[test]"')
    assert "grep -m1 '^pip install -e \".\\[test\\]\"' README.md" in (root / ".ci/run").read_text()


def test_report_sample_and_ledger_commands(audited, tmp_path, capsys):
    import pandas as pd

    run = str(audited.out)
    assert main(["report", run]) == 0
    assert set(pd.read_excel(audited.out / "三张清单.xlsx", sheet_name=None)) == {"问题清单", "任务清单", "责任清单"}
    assert main(["sample", run, "--seed", "3"]) == 0
    assert "满足最低抽查要求" in capsys.readouterr().out
    ledger = str(tmp_path / "ledger.sqlite")
    assert main(["ledger", "merge", run, "--ledger", ledger]) == 0
    fid = audited.findings.finding_id.iloc[0]
    assert main(["ledger", "set", fid, "--ledger", ledger, "--status", "核实中", "--who", "王五"]) == 0
    assert main(["ledger", "list", "--ledger", ledger]) == 0
    assert "核实中\t1" in capsys.readouterr().out
    assert main(["ledger", "export", "--ledger", ledger, "--out", str(tmp_path / "t.xlsx")]) == 0
