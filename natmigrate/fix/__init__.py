"""``natmigrate fix``: rewrite the templates that own a load balancer from inbound NAT v1 to v2.

* :mod:`.core`: options, per-file results, and the planner's decisions as a rewrite needs them;
* :mod:`.arm` (ARM JSON, on :mod:`.jsontext` and :mod:`.armexpr`) and :mod:`.terraform` (HCL, on :mod:`.hcltext`): one
  rewrite per format, by spans on the original text;
* :mod:`.verify` (``check`` on each rewrite) and :mod:`.equivalence` (the fixed template deployed
  into the simulator against a simulated ``migrate`` of the original);
* :mod:`.files`: reading, dispatching by format, and atomic writes (the I/O edge).
"""
