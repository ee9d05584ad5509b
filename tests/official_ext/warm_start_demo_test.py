"""The warm-start job's stages: each reads what the previous one wrote."""

from official_ext import warm_start_demo


def test_stages_chain_import_vocab_and_init_checkpoint(tmp_path):
  stages = {name: (marker, args) for name, marker, args in
            warm_start_demo.stages(str(tmp_path), base_steps=300,
                                   continue_steps=200, dupe_factor=2,
                                   epochs=1)}
  assert list(stages) == ['base_data', 'base_pretrain', 'release', 'import',
                          'own_data', 'continue', 'export', 'finetune']
  release = stages['release'][1]
  assert '--format=hf' in release
  assert f'--source={tmp_path}/released_hf' in stages['import'][1]
  # "Your" records use the imported vocab; training starts from the import.
  assert (f'--vocab_file={tmp_path}/imported/vocab.txt' in
          stages['own_data'][1])
  assert f'--init_checkpoint={tmp_path}/imported' in stages['continue'][1]
  assert stages['continue'][0].endswith('continue/ckpt-200.index')
  assert '--gin_bindings=CHECKPOINT_INTERVAL = 200' in stages['continue'][1]
  assert f'--init_checkpoint={tmp_path}/export' in stages['finetune'][1]
