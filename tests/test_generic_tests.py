"""Our generic tests (tests/generic/) stand in for dbt_utils/dbt_expectations, so each
is proven here: in a throw-away dbt project it fails on planted bad rows and passes
on good ones."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

from dbt.cli.main import dbtRunner
from dbt_helpers import ROOT, release_duckdb

SEEDS = {
    "numbers": "id,value\n1,5\n2,15\n2,20\n",
    "one_row": "id\n1\n",
    "three_rows": "id\n1\n2\n3\n",
    # raw rows: _source_row (the line a record starts on) and _source_lines
    "raw_rows": "_source_row,_source_lines\n2,1\n3,1\n4,1\n5,2\n7,1\n8,1\n",
    "five_raw_rows": "_source_row,_source_lines\n2,1\n3,2\n5,1\n6,1\n7,1\n",
    # five rows, but the record of line 4 is missing (lines 3..5 are not covered)
    "five_raw_rows_one_dropped": "_source_row,_source_lines\n2,1\n3,1\n5,1\n6,1\n7,1\n",
    "classified": "row_status\nclean\nsuperseded\n",
    "tag_registry": "tag,allowed_values,open_values\ncolor,red|blue,false\n",
    "colors": "customer_id,color,shade\na,red,light\nb,green,dark\n",
    "fits_failed": "model,status,reason\nbgnbd,failed,no convergence\n"
    "gamma_gamma,fitted,\n",
    "fits_ok": "model,status,reason\nbgnbd,fitted,\ngamma_gamma,disabled,off\n",
    "keys": "key\nC001\nc001\nC002\nc003\n",
    "referring_keys": "key\nc002\nC004\n",
    "referred_keys": "key\nC002\nC003\n",
}

# Each generic test on the planted seeds; EXPECTED says which must fail.
CASES = """
seeds:
  - name: numbers
    data_tests:
      - equal_rowcount:
          name: equal_rowcount_fails
          arguments: {compare_model: ref('one_row')}
      - equal_rowcount:
          name: equal_rowcount_passes
          arguments: {compare_model: ref('three_rows')}
      - unique_combination:
          name: unique_combination_fails
          arguments: {columns: [id]}
      - unique_combination:
          name: unique_combination_passes
          arguments: {columns: [id, value]}
      - expression_is_true:
          name: expression_is_true_fails
          arguments: {expression: "value < 10"}
      - expression_is_true:
          name: expression_is_true_passes
          arguments: {expression: "value < 100"}
      - reconciles_with_source:
          name: reconciles_with_source_fails
          arguments:
            raw: ref('raw_rows')
            rejected: ref('one_row')
            classified: ref('classified')
      - reconciles_with_source:
          name: reconciles_with_source_dropped_record_fails
          arguments:
            raw: ref('five_raw_rows_one_dropped')
            rejected: ref('one_row')
            classified: ref('classified')
      - reconciles_with_source:
          name: reconciles_with_source_passes
          arguments:
            raw: ref('five_raw_rows')
            rejected: ref('one_row')
            classified: ref('classified')
    columns:
      - name: value
        data_tests:
          - accepted_range:
              name: accepted_range_fails
              arguments: {min_value: 0, max_value: 10}
          - accepted_range:
              name: accepted_range_exclusive_fails
              arguments: {min_value: 5, inclusive: false}
          - accepted_range:
              name: accepted_range_passes
              arguments: {min_value: 5, max_value: 20}
  - name: colors
    columns:
      - name: color
        data_tests:
          - allowed_by_registry:
              name: allowed_by_registry_fails
      - name: shade
        data_tests:
          - allowed_by_registry:
              name: allowed_by_registry_unregistered_column_fails
  - name: fits_failed
    data_tests:
      - no_failed_model_fit:
          name: no_failed_model_fit_fails
  - name: fits_ok
    data_tests:
      - no_failed_model_fit:
          name: no_failed_model_fit_passes
  - name: keys
    columns:
      - name: key
        data_tests:
          - keys_differ_only_in_case:
              name: keys_differ_only_in_case_fails
  - name: referring_keys
    columns:
      - name: key
        data_tests:
          - keys_differ_only_in_case:
              name: keys_differ_only_in_case_passes
          - keys_differ_only_in_case:
              name: keys_differ_only_in_case_compared_fails
              arguments: {compared_to: ref('referred_keys')}
"""

EXPECTED = {
    "equal_rowcount_fails": "fail",
    "equal_rowcount_passes": "pass",
    "unique_combination_fails": "fail",
    "unique_combination_passes": "pass",
    "expression_is_true_fails": "fail",
    "expression_is_true_passes": "pass",
    "reconciles_with_source_fails": "fail",
    "reconciles_with_source_dropped_record_fails": "fail",
    "reconciles_with_source_passes": "pass",
    "accepted_range_fails": "fail",
    "accepted_range_exclusive_fails": "fail",
    "accepted_range_passes": "pass",
    "allowed_by_registry_fails": "fail",
    "allowed_by_registry_unregistered_column_fails": "fail",
    "no_failed_model_fit_fails": "fail",
    "no_failed_model_fit_passes": "pass",
    "keys_differ_only_in_case_fails": "fail",
    "keys_differ_only_in_case_passes": "pass",
    "keys_differ_only_in_case_compared_fails": "fail",
}


def test_each_generic_test_fails_on_bad_rows(tmp_path: Path) -> None:
    project = tmp_path / "proof"
    shutil.copytree(ROOT / "tests" / "generic", project / "tests" / "generic")
    (project / "seeds").mkdir()
    for name, content in SEEDS.items():
        (project / "seeds" / f"{name}.csv").write_text(content)
    (project / "seeds" / "_seeds.yml").write_text("version: 2\n" + CASES)
    (project / "dbt_project.yml").write_text(
        textwrap.dedent(
            """
            name: generic_proof
            version: "1.0"
            config-version: 2
            profile: generic_proof
            flags: {send_anonymous_usage_stats: false}
            """
        )
    )
    (project / "profiles.yml").write_text(
        "generic_proof:\n  target: dev\n  outputs:\n    dev:\n"
        f"      type: duckdb\n      path: {tmp_path / 'proof.duckdb'}\n"
    )
    dbtRunner().invoke(
        ["build", "--project-dir", str(project), "--profiles-dir", str(project)]
    )
    release_duckdb()
    results = json.loads((project / "target" / "run_results.json").read_text())
    outcomes = {
        result["unique_id"].split(".")[2]: result["status"]
        for result in results["results"]
        if result["unique_id"].startswith("test.")
    }
    assert outcomes == EXPECTED
