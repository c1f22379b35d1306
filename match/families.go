package match

// Given-name families: one name as different languages write it. Spellings that already
// share a phonetic key need not be listed; each line needs only its distinct keys.
var familyLists = [][]string{
	{"muhammad", "mohamed", "mehmet", "mehmed", "mohd", "mhd", "mohammad", "muhammed", "mahomed", "mamadou", "mamad"},
	{"ahmad", "ahmed", "ahmet"},
	{"yusuf", "youssef", "yosef", "joseph", "josef", "iosif", "giuseppe", "jose", "yousif", "yousuf"},
	{"ibrahim", "abraham", "ebrahim", "avraham"},
	{"sulayman", "suleiman", "suleyman", "solomon", "sleiman", "soliman"},
	{"musa", "moses", "moussa", "moshe"},
	{"isa", "issa", "eesa"},
	{"yahya", "yehia", "yahia"},
	{"ismail", "ismael", "ismayil", "ishmael", "smail"},
	{"umar", "omar", "omer"},
	{"usama", "osama", "ousama"},
	{"husayn", "hussein", "hussain", "huseyin", "hosein", "hossein", "husein", "hocine", "houcine"},
	{"hasan", "hassan", "hasen"},
	{"abdullah", "abdallah", "abdulla", "abdalla", "abdellah", "abdallahi"},
	{"mustafa", "mostafa", "moustafa", "mustapha", "mostefa"},
	{"khalid", "khaled", "halit", "halid"},
	{"jamal", "djamel", "cemal", "gamal", "jamel"},
	{"jafar", "djafar", "cafer", "gafar", "jaafar"},
	{"uthman", "othman", "osman", "usman", "otman"},
	{"alexander", "aleksandr", "oleksandr", "alexandre", "aleksandar", "alessandro", "alejandro", "iskandar", "aliaksandr"},
	{"alexei", "aleksei", "aleksey", "oleksiy", "alexey", "aliaksei"},
	{"sergei", "sergey", "serhiy", "sergiy", "sergio", "serge", "sergej"},
	{"vladimir", "volodymyr", "uladzimir", "wladimir", "vladimer"},
	{"john", "juan", "johan", "johann", "ivan", "jean", "giovanni", "johannes", "jan", "ioan", "ion", "hans", "yohannes"},
	{"peter", "pierre", "pedro", "pyotr", "petro", "pietro", "petr", "piotr"},
	{"michael", "mikhail", "michel", "miguel", "mykhailo", "michal", "mikhael", "mikael"},
	{"george", "georgy", "georgiy", "jorge", "georg", "giorgi", "heorhiy"},
	{"paul", "pavel", "pablo", "paolo", "pavlo", "pawel"},
	{"nicholas", "nikolai", "nicolas", "mykola", "nikolay", "nicola", "mikalai", "nikola"},
	{"theodore", "ted", "fyodor", "teodor", "fedor", "feodor", "theodoros"},
	{"william", "wilhelm", "guillaume", "bill", "willem", "guillermo"},
	{"benjamin", "bibi", "binyamin", "benyamin"},
	{"dmitry", "dmytro", "dmitri", "dzmitry"},
	{"andrew", "andrei", "andriy", "andreas", "andre", "andrey", "andrzej", "andrea", "andrii"},
	{"yevgeny", "evgeny", "yevgeniy", "eugene", "evgeni", "yauhen", "ievgen", "yevhen"},
	{"anatoly", "anatolii", "anatoliy"},
	{"yakub", "yaqub", "yacoub", "jacob", "jakob", "yakov", "iakov", "giacomo", "jacques", "yaqoob", "yaqoub"},
	{"daud", "dawood", "dawud", "david", "davud", "davit"},
	{"yunus", "younis", "younes", "jonah"},
	{"ilyas", "elias", "ilias", "ilya", "elijah"},
	{"maryam", "mariam", "maria", "mary", "marie", "miriam"},
	{"fatima", "fatma", "fatimah"},
	{"aisha", "ayesha", "aicha", "ayse"},
	{"catherine", "ekaterina", "katerina", "kateryna", "katharina", "yekaterina"},
	{"elena", "helen", "yelena", "olena", "helena", "alena"},
}

// families maps a phonetic key to the first spelling of its family.
var families = func() map[string]string {
	m := map[string]string{}
	for _, fam := range familyLists {
		for _, name := range fam {
			m[phoneticKey(name)] = fam[0]
		}
	}
	return m
}()
