"""Runs every notebook in this folder top to bottom with nbclient, in a fresh kernel each.

A cell that raises (its assertions are the facts the text claims) fails the notebook; the failing cell
and its error are printed. The last line is the summary CI reads: "N passed, M failed".
"""
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

here = pathlib.Path(__file__).resolve().parent
notebooks = sorted(here.glob("[0-9][0-9]-*.ipynb"))
passed, failed = 0, 0
for path in notebooks:
    notebook = nbformat.read(path, as_version=4)
    start = time.time()
    try:
        NotebookClient(notebook, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(here)}}).execute()
    except CellExecutionError as error:
        failed += 1
        print(f"FAILED {path.name} ({time.time() - start:.0f} s):\n{error}", flush=True)
        continue
    passed += 1
    print(f"ok     {path.name} ({time.time() - start:.0f} s)", flush=True)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or not notebooks else 0)
