"""GLUE and SQuAD fine-tuning through Model Garden's tasks (`finetune.py`).

Modules: `glue_tasks` (task catalogue), `glue_data` / `squad_data` (checked
inputs -> TFRecords), `encoder_init` (checkpoint + config + fit check),
`metrics`, `runner` (one run), `grid` (seeds x hyperparameters),
`train_subset` (`--max_train_examples` subsets), `reporting`
(results.csv / results.md / results.png).

On disk, under `--model_dir`:
  data_cache/<task>-<key>/           TFRecords (+ meta.json), reused
  <task>/<config>/seed<k>/run.json   one run: settings, metrics, score
  <task>/<config>/seed<k>/predictions*.tsv | predictions.json
  <task>/<config>/seed<k>/tensorboard/{train,eval}/
  results.csv, results.md, results.png, summary.json
with `<task>` e.g. `glue_sst2`, `squad_v11` and `<config>` e.g.
`lr0.0001_bs32_ep3`.
"""
