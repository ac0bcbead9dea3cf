"""The web applications (FastAPI): the programme portal (``portal``), the Youth Map's public
search pages (``youth_map``) and its Open Referral UK API (``open_referral``). Handlers are
thin: they check access, call the operational domains (``programme``, ``directory``,
``referrals``) and render.
"""
