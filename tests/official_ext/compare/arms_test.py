"""official_ext/compare/arms.py: one-line errors before any training."""
import pytest

from official_ext.compare import arms as arms_lib

MANIFEST = 'data/records/manifest.json'
VOCAB = 'data/wikitext2/vocab_uncased_8k.txt'


def _arm(name, **kwargs):
  fields = dict(gin_files=(f'gin/{name}.gin',), objective='mlm', size='mini',
                records=MANIFEST, vocab=VOCAB)
  fields.update(kwargs)
  return arms_lib.ArmSpec(name=name, **fields)


def _arms():
  return [_arm('mlm'), _arm('teams', objective='teams'),
          _arm('random', init='random', gin_files=('gin/teams_mini.gin',),
               objective=None, records=None)]


def test_good_comparison():
  tasks = arms_lib.check_comparison(_arms(), ['glue/sst2', 'glue/mrpc'],
                                    baseline='random')
  assert [t.name for t in tasks] == ['sst2', 'mrpc']
  assert [a.pretrains for a in _arms()] == [True, True, False]


@pytest.mark.parametrize('arms,tasks,baseline,message', [
    ([], ['glue/sst2'], None, '^no arms to compare$'),
    (_arms() + [_arm('mlm', bindings=('LEARNING_RATE = 1e-3',))],
     ['glue/sst2'], None, "^two arms are named 'mlm'$"),
    (_arms()[:2] + [_arm('random', init='random', records=None,
                         vocab='v.txt')], ['glue/sst2'], None,
     "^arm 'random' uses vocab 'v.txt', arm 'mlm' uses 'data/wikitext2/"),
    (_arms(), ['glue/sst2', 'glue/sst5'], None,
     r"^task suite: unknown task 'glue/sst5' \(choose from glue/cola, "),
    (_arms(), [], None, '^task suite: no tasks$'),
    (_arms(), ['glue/sst2'], 'bert',
     r"^baseline arm 'bert' is not one of \['mlm', 'teams', 'random'\]$"),
])
def test_bad_comparison(arms, tasks, baseline, message):
  with pytest.raises(arms_lib.ArmError, match=message):
    arms_lib.check_comparison(arms, tasks, baseline)


@pytest.mark.parametrize('kwargs,message', [
    (dict(name='a b'), "arm name 'a b': use letters, digits and _.+-"),
    (dict(name='x', init='warm'), "arm 'x': unknown init 'warm'"),
    (dict(name='x'), "arm 'x': init=pretrain needs gin_files"),
    (dict(name='x', init='random'), r"arm 'x': init=random needs gin_files "
     r"\(the architecture to initialise\)"),
    (dict(name='x', init='checkpoint'),
     "arm 'x': init=checkpoint needs init_checkpoint")])
def test_bad_arm(kwargs, message):
  with pytest.raises(arms_lib.ArmError, match=message):
    arms_lib.ArmSpec(**kwargs)
