"""The planner: a pure function from the model to a :class:`~natmigrate.plan.model.Plan`.

* :mod:`natmigrate.plan.model`: the plan's types and its JSON file format (the executor's input).
* :mod:`natmigrate.plan.build`: :func:`build_plan` (one load balancer) and :func:`plan_snapshot`.
* :mod:`natmigrate.plan.fingerprint`: digests that let ``apply`` refuse a stale plan.
"""
