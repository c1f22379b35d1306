package web

// frenchCoreText is the French of the sentences the core writes (forewarn.PhraseFormats:
// alerts, escalations, timeline entries, conflicts, match summaries), by their English
// format. It is one table with frenchText (see french in i18n.go), kept apart so the
// pages' words and the core's sentences are edited without touching each other. Message
// kinds come in as words whose gender varies ("un avertissement", "une demande"), so the
// sentences name them in apposition: "message (demande)".
var frenchCoreText = map[string]string{
	// escalations
	"%s from %s is not acknowledged: it was due by %s. Read it and acknowledge it.": "Message (%s) de %s sans accusé de réception : l’échéance était le %s. Lisez-le et accusez-en réception.",
	"%s to %s could not be delivered, and was due to be acknowledged by %s.":        "Message (%s) à %s non remis ; l’accusé de réception était attendu pour le %s.",
	"%s to %s was delivered but not acknowledged; overdue since %s.":                "Message (%s) à %s remis mais sans accusé de réception ; en retard depuis le %s.",

	// alerts
	"You hold this person: %s matches your subject %q (%s). Review the match.": "Vous détenez cette personne : %s correspond à votre fiche %q (%s). Examinez la correspondance.",
	"You hold this person: %s matches your watch-listed subject %q (%s).":      "Vous détenez cette personne : %s correspond à votre fiche sous surveillance %q (%s).",
	"%s %s from %s about %q": "message (%s) %s de %s au sujet de %q",
	"You were told about this person before: %s %s from %s about %q matches persons in %s.": "Cette personne vous a déjà été signalée : le message (%s) %s de %s au sujet de %q correspond à des personnes dans %s.",
	"the %s from %s of %s": "le message (%s) de %s du %s",
	"You were told about this person before: %s from %s on %s described %q, who matches your subject %q (%s).": "Cette personne vous a déjà été signalée : le message (%s) de %s du %s décrivait %q, qui correspond à votre fiche %q (%s).",
	"Import %s (%s %s): you were told about your subject %q before: %s. Review the matches.":                   "Import %s (%s %s) : votre fiche %q vous avait déjà été signalée : %s. Examinez les correspondances.",
	"the %s from %s of %s about %q":                                                              "le message (%s) de %s du %s au sujet de %q",
	"%s: likely holds (%s) — %s":                                                                 "%s : détient probablement (%s) — %s",
	"%s asked privately about a person matching your subject %s (%s)":                            "%s a demandé confidentiellement si vous déteniez une personne correspondant à votre fiche %s (%s)",
	"Review due for %s %s (review date %s): keep it, with a reason and a new date, or erase it.": "Réexamen à faire (%s %s, date de réexamen %s) : conserver, avec une raison et une nouvelle date, ou effacer.",

	// match summaries and the matcher's notes
	"%s: %q ~ %q":          "%s : %q ~ %q",
	"%s: %q ~ %q (%s)":     "%s : %q ~ %q (%s)",
	"%s: %q ~ %q; %s":      "%s : %q ~ %q ; %s",
	"%s: %q ~ %q (%s); %s": "%s : %q ~ %q (%s) ; %s",
	"shares only the surname %s: below the threshold unless birth date, nationality or document agree": "seul le nom de famille %s est commun : sous le seuil, sauf si la date de naissance, la nationalité ou un document concordent",
	"shares only the surname %s, and other attributes agree":                                           "seul le nom de famille %s est commun, et les autres attributs concordent",
	"query title %q set aside: a title is not a name part":                                             "titre %q de la recherche écarté : un titre n’est pas une partie du nom",
	"candidate title %q set aside: a title is not a name part":                                         "titre %q du candidat écarté : un titre n’est pas une partie du nom",

	// a subject's timeline
	"subject %q recorded, not watch-listed": "fiche %q enregistrée, hors surveillance",
	"subject %q recorded, watch-listed":     "fiche %q enregistrée, sous surveillance",
	"claim: %s (graded %s, recorded %s)":    "élément : %s (cotation %s, enregistré le %s)",
	"%s %s %s":                              "%s %s %s",
	"no record of %s %s":                    "aucune trace de %s %s",
	"matched: %s":                           "correspondance : %s",
	"match %s: %s":                          "correspondance %s : %s",
	"sent %s from %s to %s (%s): %s":        "envoi : %s de %s à %s (%s) : %s",
	"received %s from %s to %s (%s): %s":    "réception : %s de %s à %s (%s) : %s",
	"%s receipted the %s":                   "%s a confirmé la remise du message (%s)",
	"%s read the %s":                        "%s a lu le message (%s)",
	"%s acknowledged the %s: %s, %s":        "%s a accusé réception du message (%s) : %s, %s",
	"escalation step %s to the %s's %s: %s": "relance (étape %s, côté %s, %s) : %s",

	// conflicts among claims
	"entry into %s: %s says %s (%s), %s says %s (%s)": "entrée en %s : %s indique %s (%s), %s indique %s (%s)",
	"entered %s %s (%s), no exit record":              "entrée en %s %s (%s), aucune sortie enregistrée",
	"entered %s %s (%s), no exit record; %s":          "entrée en %s %s (%s), aucune sortie enregistrée ; %s",
	"%s states there is none":                         "%s affirme qu’il n’y en a pas",
	"(date unknown)":                                  "(date inconnue)",
	"; ":                                              " ; ", // between phrases in a phrase
}
