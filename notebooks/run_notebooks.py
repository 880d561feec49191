"""Runs the notebooks top to bottom, as CI does, and says which cell of which notebook failed.

    python notebooks/run_notebooks.py [NOTEBOOK.ipynb ...]     (default: every notebooks/NN-*.ipynb)

Each notebook must be committed with its outputs stripped; it is executed in a fresh kernel with the
notebooks folder as its working directory, and the executed copy is saved in out/notebooks/executed/
for reading. A cell that raises (a failed assert included) fails its notebook. The last line is
`N passed, M failed`; the exit status is 1 when any notebook failed.
"""

import sys
import time
import traceback
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

NOTEBOOKS = Path(__file__).resolve().parent
EXECUTED = NOTEBOOKS.parent / "out" / "notebooks" / "executed"
CELL_TIMEOUT = 600  # seconds; the slowest cell takes a few


def unstripped_cells(notebook):
    """Numbers (1-based) of the code cells that carry outputs or an execution count."""
    return [i for i, cell in enumerate(notebook.cells, 1)
            if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)]


def failed_cell(notebook):
    """The first cell with an error output: (its number, its first source line, the error's last line)."""
    for i, cell in enumerate(notebook.cells, 1):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
                return i, first_line, f"{output.get('ename')}: {output.get('evalue')}"
    return None


def run(path):
    """Executes one notebook; returns None when it passes, else a message naming the cell."""
    notebook = nbformat.read(path, as_version=4)
    if unstripped := unstripped_cells(notebook):
        return (f"cells {unstripped} are committed with outputs; strip them (Jupyter: Edit > Clear Outputs "
                "of All Cells, then save); not run")
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    error = None
    try:
        client.execute()
    except CellExecutionError:
        found = failed_cell(notebook)
        error = (f"cell {found[0]} (`{found[1]}`) raised {found[2]}" if found
                 else "a cell raised:\n" + traceback.format_exc(limit=1))
    except CellTimeoutError:
        error = f"a cell ran longer than {CELL_TIMEOUT} s"
    except DeadKernelError:
        error = "the kernel died"
    finally:
        EXECUTED.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, EXECUTED / path.name)
    if error:
        error += f"\n     the executed copy, with the traceback: {EXECUTED / path.name}"
    return error


def main(arguments):
    paths = [Path(a).resolve() for a in arguments] or sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    if not paths:
        print(f"no notebooks found in {NOTEBOOKS}", file=sys.stderr)
        return 1
    passed, failed = 0, 0
    for path in paths:
        start = time.monotonic()
        error = run(path)
        seconds = time.monotonic() - start
        if error is None:
            passed += 1
            print(f"PASS {path.name} ({seconds:.1f} s)", flush=True)
        else:
            failed += 1
            print(f"FAIL {path.name} ({seconds:.1f} s): {error}", flush=True)
    print(f"notebooks: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
