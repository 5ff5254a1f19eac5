"""Thai e-Tax Invoice & e-Receipt (ETDA ขมธอ. 3-2568, v2.1): XML, signature, PDF/A-3, PromptPay.

``builder`` makes the XML of an issued document from its frozen snapshot, ``signature``
signs it XAdES-BES, ``validation`` runs ETDA's XSD and Schematron, ``generation`` ties them
together for the render task, ``promptpay`` makes the Thai QR payment code of a billing note
and ``export`` bundles a month for a service provider.
"""
