/*
 * run_names.c - readable random names for runs created without one:
 * "<adjective>-<noun>-<0..999>", at most 20 characters, like MLflow's.
 */
#include "run_names.h"
#include "../base/util.h"

static const char *const adjectives[] = {
	"amber",  "bold",   "brave",  "bright", "calm",   "clever", "cosmic", "crisp",  "dapper", "eager",
	"fancy",  "fleet",  "gentle", "glad",   "golden", "grand",  "happy",  "hidden", "honest", "humble",
	"jolly",  "keen",   "kind",   "lively", "lucky",  "merry",  "mighty", "nimble", "noble",  "proud",
	"quick",  "quiet",  "rapid",  "rare",   "shiny",  "silent", "smart",  "spry",   "steady", "sunny",
	"swift",  "tidy",   "upbeat", "vivid",  "warm",   "wise",   "witty",  "zesty",
};

static const char *const nouns[] = {
	"badger", "bat",    "bear",   "bison",  "crab",   "crane",  "deer",   "dove",   "eagle",  "eel",
	"falcon", "ferret", "finch",  "fox",    "frog",   "gecko",  "goat",   "hare",   "hawk",   "heron",
	"ibis",   "koala",  "lark",   "lemur",  "lynx",   "mole",   "moth",   "newt",   "otter",  "owl",
	"panda",  "quail",  "raven",  "robin",  "seal",   "shrew",  "skunk",  "snail",  "stork",  "swan",
	"tapir",  "toad",   "trout",  "vole",   "whale",  "wolf",   "wren",   "yak",
};

void run_name_random(char out[RUN_NAME_RANDOM_MAX + 1])
{
	const char *adj = adjectives[util_random_below(ARRAY_SIZE(adjectives))];
	const char *noun = nouns[util_random_below(ARRAY_SIZE(nouns))];
	snprintf(out, RUN_NAME_RANDOM_MAX + 1, "%s-%s-%u", adj, noun, util_random_below(1000));
}
