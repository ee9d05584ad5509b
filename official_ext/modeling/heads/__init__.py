"""Heads and losses of the 14 olfmlm auxiliary pretraining tasks.

`registry.get(name)` / `registry.build(name, **kwargs)` find a head by task
name (tf, tf_idf, sbo, tgs, tcp, cap, tlp, nsp, asp, so, sdp, scp, qt, fs);
`registry.check_features(head, batch_keys)` checks a batch up front.
"""
from official_ext.modeling.heads import contrastive_heads
from official_ext.modeling.heads import registry
from official_ext.modeling.heads import sentence_heads
from official_ext.modeling.heads import token_heads
from official_ext.modeling.heads.base import AuxHead
from official_ext.modeling.heads.registry import build
from official_ext.modeling.heads.registry import check_features
from official_ext.modeling.heads.registry import get
from official_ext.modeling.heads.registry import names
