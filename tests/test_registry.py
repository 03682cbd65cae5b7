"""Registries: names checked at registration, implementations checked against the axis on resolve,
and the axes with settings derived from the components' specs (one place per component)."""
from __future__ import annotations

import pytest

from ganpriors import registry
from ganpriors.registry import Registry


def test_registration_refuses_bad_and_duplicate_names():
    reg = Registry("loss", "ganpriors.losses:AdversarialLoss")
    reg.register("hinge", "ganpriors.losses:HingeLoss")
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("hinge", "ganpriors.losses:HingeLoss")
    with pytest.raises(ValueError, match="must match"):
        reg.register("../evil", "ganpriors.losses:HingeLoss")
    with pytest.raises(ValueError, match="module:attribute"):
        reg.register("plain", "ganpriors.losses.HingeLoss")


def test_resolve_checks_the_base_class():
    reg = Registry("prior", "ganpriors.priors.base:Prior")
    reg.register("not_a_prior", "ganpriors.losses:HingeLoss")
    with pytest.raises(TypeError, match="not a subclass of ganpriors.priors.base:Prior"):
        reg.resolve("not_a_prior")


@pytest.mark.parametrize("table", [registry.PRIORS, registry.NETS, registry.REGULARISERS, registry.DATASETS,
                                   registry.LOSSES, registry.OPTIMIZERS, registry.FEATURE_EXTRACTORS, registry.STUDIES,
                                   registry.PROBES])
def test_every_registered_component_resolves(table):
    for name in table:
        assert table.resolve(name) is not None


def test_derived_registries_follow_the_specs():
    from ganpriors.priors.specs import SPECS as PRIORS
    from ganpriors.regularisers.specs import SPECS as REGULARISERS
    from ganpriors.studies import SPECS as STUDIES

    assert list(registry.PRIORS) == [registry.spec_kind(s) for s in PRIORS]
    assert set(registry.REGULARISERS) == {s.kind for s in REGULARISERS}
    assert set(registry.STUDIES) == {registry.spec_kind(s) for s in STUDIES}
    assert set(registry.PROBES) == {registry.spec_kind(s) for s in STUDIES if s.probe_impl}
