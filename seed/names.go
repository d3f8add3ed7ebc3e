package seed

// A name in English (romanised as Nepalis commonly write it) and in
// Devanagari. landlord's own lists: common given names and surnames of
// Nepal, from the hills, the Tarai and the mountains.
type name struct{ en, ne string }

var femaleNames = []name{
	{"Sita", "सीता"}, {"Gita", "गीता"}, {"Rita", "रीता"}, {"Anita", "अनिता"}, {"Sunita", "सुनिता"},
	{"Sarita", "सरिता"}, {"Kamala", "कमला"}, {"Laxmi", "लक्ष्मी"}, {"Parbati", "पार्वती"}, {"Radha", "राधा"},
	{"Sabita", "सविता"}, {"Bimala", "बिमला"}, {"Sushila", "सुशीला"}, {"Manju", "मन्जु"}, {"Sangita", "सङ्गीता"},
	{"Shanti", "शान्ति"}, {"Pramila", "प्रमिला"}, {"Durga", "दुर्गा"}, {"Saraswati", "सरस्वती"}, {"Indira", "इन्दिरा"},
	{"Asmita", "अस्मिता"}, {"Srijana", "सृजना"}, {"Pooja", "पूजा"}, {"Anjali", "अञ्जली"}, {"Nisha", "निशा"},
	{"Sabina", "सबिना"}, {"Rojina", "रोजिना"}, {"Prabha", "प्रभा"}, {"Kalpana", "कल्पना"}, {"Bina", "बिना"},
	{"Yamuna", "यमुना"}, {"Tulsi", "तुलसी"}, {"Ganga", "गङ्गा"}, {"Januka", "जनुका"}, {"Muna", "मुना"},
	{"Dipa", "दीपा"}, {"Alisha", "अलिशा"}, {"Aashika", "आशिका"}, {"Sapana", "सपना"}, {"Smriti", "स्मृति"},
}

var maleNames = []name{
	{"Ram", "राम"}, {"Shyam", "श्याम"}, {"Hari", "हरि"}, {"Krishna", "कृष्ण"}, {"Gopal", "गोपाल"},
	{"Bishnu", "विष्णु"}, {"Prakash", "प्रकाश"}, {"Rajendra", "राजेन्द्र"}, {"Sanjay", "सञ्जय"}, {"Dipak", "दीपक"},
	{"Suresh", "सुरेश"}, {"Ramesh", "रमेश"}, {"Dinesh", "दिनेश"}, {"Mahesh", "महेश"}, {"Rajesh", "राजेश"},
	{"Bikash", "विकास"}, {"Sunil", "सुनिल"}, {"Anil", "अनिल"}, {"Kiran", "किरण"}, {"Nabin", "नवीन"},
	{"Bhim", "भीम"}, {"Arjun", "अर्जुन"}, {"Narayan", "नारायण"}, {"Gyanendra", "ज्ञानेन्द्र"}, {"Pushpa", "पुष्प"},
	{"Sher", "शेर"}, {"Madhav", "माधव"}, {"Ganesh", "गणेश"}, {"Tek", "टेक"}, {"Yubaraj", "युवराज"},
	{"Santosh", "सन्तोष"}, {"Bibek", "विवेक"}, {"Sagar", "सागर"}, {"Roshan", "रोशन"}, {"Binod", "विनोद"},
	{"Kamal", "कमल"}, {"Bharat", "भरत"}, {"Lok", "लोक"}, {"Dil", "दिल"}, {"Pasang", "पासाङ"},
}

var surnames = []name{
	{"Sharma", "शर्मा"}, {"Adhikari", "अधिकारी"}, {"Poudel", "पौडेल"}, {"Koirala", "कोइराला"}, {"Bhattarai", "भट्टराई"},
	{"Gautam", "गौतम"}, {"Acharya", "आचार्य"}, {"Dahal", "दाहाल"}, {"Pandey", "पाण्डे"}, {"Khanal", "खनाल"},
	{"Subedi", "सुवेदी"}, {"Ghimire", "घिमिरे"}, {"Neupane", "न्यौपाने"}, {"Aryal", "अर्याल"}, {"Timilsina", "तिमिल्सिना"},
	{"Shrestha", "श्रेष्ठ"}, {"Maharjan", "महर्जन"}, {"Joshi", "जोशी"}, {"Pradhan", "प्रधान"}, {"Rajbhandari", "राजभण्डारी"},
	{"Thapa", "थापा"}, {"Karki", "कार्की"}, {"Basnet", "बस्नेत"}, {"Khadka", "खड्का"}, {"Bista", "बिष्ट"},
	{"Rana", "राणा"}, {"Shahi", "शाही"}, {"Deuba", "देउवा"}, {"Oli", "ओली"}, {"Bohara", "बोहरा"},
	{"Gurung", "गुरुङ"}, {"Magar", "मगर"}, {"Tamang", "तामाङ"}, {"Rai", "राई"}, {"Limbu", "लिम्बु"},
	{"Sherpa", "शेर्पा"}, {"Lama", "लामा"}, {"Thakali", "थकाली"}, {"Yadav", "यादव"}, {"Mahato", "महतो"},
	{"Chaudhary", "चौधरी"}, {"Jha", "झा"}, {"Mishra", "मिश्र"}, {"Shah", "साह"}, {"Tharu", "थारू"},
	{"Pariyar", "परियार"}, {"Nepali", "नेपाली"}, {"Bishwokarma", "विश्वकर्मा"}, {"Sunar", "सुनार"}, {"Dhakal", "ढकाल"},
}

// venues are places where a party meets.
var venues = []string{
	"Party Office", "Town Hall", "Community Building", "Ward Office", "Higher Secondary School",
	"Tundikhel", "Open Ground", "Cooperative Hall", "Hotel Conference Hall", "Municipal Hall",
}
