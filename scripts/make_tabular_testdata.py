"""Write the small public tables in tests/data used by the table tests (run once; output
committed). Sources: PROBEN1 diabetes (UCI Pima Indians) and DELVE/UCI abalone as shipped in
FANN's datasets folder (see tests/data/README.md).

* diabetes.csv: tests/data/diabetes.train (384 rows) as named columns, the class as a name
  (tested_positive / tested_negative), a unique patient id, and 4% of the feature cells blanked
  (seeded), so imputation and identifier detection are exercised on real data.
* diabetes_test.csv: the 384 rows of FANN's diabetes.test, the same columns, no blanks.
* abalone.csv / abalone_test.csv: the first 600 / 400 rows of abelone.train / abelone.test with
  sex as a category (M / F / I from the one-hot columns) and rings as a whole number.

Usage: python scripts/make_tabular_testdata.py /work/shared/datasets/fann
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

import neural

OUT = Path(__file__).resolve().parent.parent / "tests" / "data"
DIABETES = [
    "pregnancies",
    "glucose",
    "blood_pressure",
    "skin_fold",
    "insulin",
    "bmi",
    "pedigree",
    "age",
]
ABALONE = [
    "length",
    "diameter",
    "height",
    "whole_weight",
    "shucked_weight",
    "viscera_weight",
    "shell_weight",
]


def diabetes(src: Path, dest: Path, blank: float, seed: int) -> None:
    d = neural.read_fann_data(src)
    rng = np.random.default_rng(seed)
    with dest.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["patient_id", *DIABETES, "diabetes"])
        for i, (x, y) in enumerate(zip(d.inputs, d.outputs, strict=True)):
            cells = [f"{v:.6g}" if rng.random() >= blank else "" for v in x]
            label = "tested_positive" if y[0] > y[1] else "tested_negative"
            w.writerow([f"P{i + 1:04d}", *cells, label])


def abalone(src: Path, dest: Path, n: int) -> None:
    d = neural.read_fann_data(src)
    with dest.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sex", *ABALONE, "rings"])
        for x, y in list(zip(d.inputs, d.outputs, strict=True))[:n]:
            sex = "MFI"[int(np.argmax(x[:3]))]
            w.writerow([sex, *(f"{v:.6g}" for v in x[3:]), round(float(y[0]) * 28) + 1])


def main() -> None:
    fann = Path(sys.argv[1])
    diabetes(OUT / "diabetes.train", OUT / "diabetes.csv", 0.04, 11)
    diabetes(fann / "diabetes.test", OUT / "diabetes_test.csv", 0.0, 12)
    abalone(fann / "abelone.train", OUT / "abalone.csv", 600)
    abalone(fann / "abelone.test", OUT / "abalone_test.csv", 400)


if __name__ == "__main__":
    main()
