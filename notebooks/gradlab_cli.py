"""What the notebooks share: finding the `gradlab` binary, running it, and a scratch folder per notebook.

The binary is `$GRADLAB` when set (`make notebooks` sets it), else the release build of this checkout
(`swift build -c release --show-bin-path`, or `.build/release` when swift is not on the PATH).
Everything a notebook writes goes under `out/notebooks/` at the top of the repository (ignored by git).
"""

import os
import shutil
import subprocess
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
WORK = REPOSITORY / "out" / "notebooks"


def _find_gradlab() -> Path:
    if os.environ.get("GRADLAB"):
        return Path(os.environ["GRADLAB"])
    try:
        bin_path = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=REPOSITORY,
                                  capture_output=True, text=True, check=True).stdout.strip()
        return Path(bin_path) / "gradlab"
    except (OSError, subprocess.CalledProcessError):
        return REPOSITORY / ".build" / "release" / "gradlab"


GRADLAB = _find_gradlab()
if not GRADLAB.is_file():
    raise FileNotFoundError(f"no gradlab binary at {GRADLAB}: run `make notebooks`, or build it with "
                            "`swift build -c release --product gradlab`, or set GRADLAB to its path")


def gradlab(*arguments, expect=0, quiet=False):
    """Runs `gradlab ARGUMENTS...`, prints what it printed, and checks its exit status against `expect`
    (0 success, 1 a wrong gradient or a diverged run, 2 a usage or input error). Returns the finished
    process, with `.stdout` and `.stderr` as text."""
    command = [str(GRADLAB)] + [str(a) for a in arguments]
    done = subprocess.run(command, capture_output=True, text=True, cwd=WORK)
    if not quiet:
        print("$ gradlab " + " ".join(str(a) for a in arguments))
        print(done.stdout, end="")
        if done.stderr.strip():
            print(done.stderr, end="")
    assert done.returncode == expect, (
        f"gradlab {' '.join(map(str, arguments))} exited with {done.returncode}, expected {expect}:\n{done.stderr}")
    return done


def fresh_folder(name) -> Path:
    """An empty folder `out/notebooks/NAME`, removed first if a previous run left it."""
    folder = WORK / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


WORK.mkdir(parents=True, exist_ok=True)


RUN_FILES = ("steps", "gradients", "activations", "histograms", "findings", "gradcheck", "gradcheck-sweep", "timesteps")


def read_run(folder):
    """A run folder's tables as pandas DataFrames, keyed by file stem (`steps`, `gradients`, ...), with
    `run.json` under `manifest`.

    The folder is first read by GradLab's own run-folder reader (`gradlab inspect`), so a notebook
    accepts and rejects exactly the folders that `gradlab report`, `inspect` and `compare --merge` do; a
    folder it rejects raises `ValueError` with GradLab's one-line message. Files are then loaded with
    pandas, keeping text columns (layer, parameter) as text."""
    import json

    import pandas as pd

    folder = Path(folder)
    done = subprocess.run([str(GRADLAB), "inspect", str(folder)], capture_output=True, text=True, cwd=WORK)
    if done.returncode != 0:
        raise ValueError(done.stderr.strip())
    tables = {"manifest": json.loads((folder / "run.json").read_text())}
    for stem in RUN_FILES:
        path = folder / f"{stem}.csv"
        if path.is_file():
            tables[stem] = pd.read_csv(path, dtype={"layer": "string", "parameter": "string"},
                                       keep_default_na=False, na_values=[""])
    return tables
