"""Names the site translates (each marked for the catalogue) and the map colours."""

from vrukit.publish._i18n import N_

TYPE_LABELS = {
    "Violence and sexual offences": N_("Violence and sexual offences"),
    "Robbery": N_("Robbery"),
    "Possession of weapons": N_("Possession of weapons"),
}
GI_LABELS = {
    "hot spot": N_("hot spot"),
    "cold spot": N_("cold spot"),
    "not significant": N_("not significant"),
}
PATTERN_LABELS = {
    "new hot spot": N_("new hot spot"),
    "consecutive hot spot": N_("consecutive hot spot"),
    "intensifying hot spot": N_("intensifying hot spot"),
    "persistent hot spot": N_("persistent hot spot"),
    "diminishing hot spot": N_("diminishing hot spot"),
    "sporadic hot spot": N_("sporadic hot spot"),
    "oscillating hot spot": N_("oscillating hot spot"),
    "historical hot spot": N_("historical hot spot"),
    "new cold spot": N_("new cold spot"),
    "consecutive cold spot": N_("consecutive cold spot"),
    "intensifying cold spot": N_("intensifying cold spot"),
    "persistent cold spot": N_("persistent cold spot"),
    "diminishing cold spot": N_("diminishing cold spot"),
    "sporadic cold spot": N_("sporadic cold spot"),
    "oscillating cold spot": N_("oscillating cold spot"),
    "historical cold spot": N_("historical cold spot"),
    "no pattern": N_("no pattern"),
}
TIER_LABELS = {
    "very high": N_("very high"),
    "high": N_("high"),
    "medium": N_("medium"),
    "lower": N_("lower"),
}
FACTOR_LABELS = {
    "income": N_("Income deprivation"),
    "employment": N_("Employment deprivation"),
    "education": N_("Education, skills and training deprivation"),
    "health": N_("Health deprivation and disability"),
    "barriers": N_("Barriers to housing and services"),
    "living_environment": N_("Living environment deprivation"),
    "crime": N_("Crime deprivation"),
    "imd": N_("Index of Multiple Deprivation"),
    "idaci": N_("Income deprivation affecting children"),
    "idaopi": N_("Income deprivation affecting older people"),
    "youth_share": N_("Share of residents aged 10 to 24"),
    "pilot_area": N_("In a current pilot area (control)"),
    # the demo region's extra indicators (a real VRU's own columns keep the names it gives them)
    "night_time_economy_index": N_("Night-time economy index"),
    "school_exclusions_per_1000": N_("School exclusions per 1,000 pupils"),
}
SEQ = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"]
GI_COLOURS = {"hot spot": "#c0392b", "cold spot": "#2166ac", "not significant": "#e8e8e8"}
TIER_COLOURS = {"very high": "#6a1b4d", "high": "#b83280", "medium": "#f0a6ca", "lower": "#f7f0f5"}
SUPPRESSED = "#9aa5b1"
PATTERN_COLOURS = {
    "new hot spot": "#fdae61",
    "consecutive hot spot": "#f46d43",
    "intensifying hot spot": "#a50026",
    "persistent hot spot": "#d73027",
    "diminishing hot spot": "#fee090",
    "sporadic hot spot": "#f7c873",
    "oscillating hot spot": "#e6a15c",
    "historical hot spot": "#c9b29b",
    "no pattern": "#eeeeee",
}
COLD_PATTERN = "#4575b4"
