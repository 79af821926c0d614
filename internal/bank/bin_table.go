package bank

// Issuer names used in binTable.
const (
	nameICBC  = "Industrial and Commercial Bank of China"
	nameCCB   = "China Construction Bank"
	nameABC   = "Agricultural Bank of China"
	nameBOC   = "Bank of China"
	nameCMB   = "China Merchants Bank"
	nameBOCOM = "Bank of Communications"
	namePSBC  = "Postal Savings Bank of China"
	nameCITIC = "China CITIC Bank"
	nameCEB   = "China Everbright Bank"
	nameCMBC  = "China Minsheng Bank"
	nameSPDB  = "Shanghai Pudong Development Bank"
	nameCIB   = "Industrial Bank"
	namePAB   = "Ping An Bank"
	nameHXB   = "Hua Xia Bank"
	nameCGB   = "China Guangfa Bank"
)

// binTable is the table LookupBIN searches. The longest matching prefix
// wins, so issuer rows override the network ranges below them.
//
// Source: publicly listed BINs. The issuer rows are a small selection of
// well-known BINs of the large Chinese banks, cross-checked against the
// open BIN list of github.com/hexindai/bcbc (data/bin.csv, MIT). BINs are
// reassigned and banks issue new ones, so treat the issuer and card type as
// a hint for display, never as a fact to make decisions on. The network
// ranges are the ones the networks publish (Diners Club also owns 3095 and
// 38-39, which its test cards use).
var binTable = []binRange{
	issuer("622202", nameICBC, NetworkUnionPay, CardDebit),
	issuer("622203", nameICBC, NetworkUnionPay, CardDebit),
	issuer("622208", nameICBC, NetworkUnionPay, CardDebit),
	issuer("621226", nameICBC, NetworkUnionPay, CardDebit),
	issuer("621288", nameICBC, NetworkUnionPay, CardDebit),
	issuer("622230", nameICBC, NetworkUnionPay, CardCredit),
	issuer("622235", nameICBC, NetworkUnionPay, CardCredit),
	issuer("427020", nameICBC, NetworkVisa, CardCredit),
	issuer("427030", nameICBC, NetworkVisa, CardCredit),
	issuer("530990", nameICBC, NetworkMastercard, CardCredit),
	issuer("370247", nameICBC, NetworkAmex, CardCredit),

	issuer("621700", nameCCB, NetworkUnionPay, CardDebit),
	issuer("622700", nameCCB, NetworkUnionPay, CardDebit),
	issuer("622280", nameCCB, NetworkUnionPay, CardDebit),
	issuer("436742", nameCCB, NetworkVisa, CardDebit),
	issuer("552245", nameCCB, NetworkMastercard, CardDebit),
	issuer("622166", nameCCB, NetworkUnionPay, CardCredit),
	issuer("622676", nameCCB, NetworkUnionPay, CardCredit),
	issuer("436745", nameCCB, NetworkVisa, CardCredit),
	issuer("532458", nameCCB, NetworkMastercard, CardCredit),

	issuer("622848", nameABC, NetworkUnionPay, CardDebit),
	issuer("622845", nameABC, NetworkUnionPay, CardDebit),
	issuer("622846", nameABC, NetworkUnionPay, CardDebit),
	issuer("622836", nameABC, NetworkUnionPay, CardCredit),
	issuer("622837", nameABC, NetworkUnionPay, CardCredit),
	issuer("403361", nameABC, NetworkVisa, CardCredit),
	issuer("548478", nameABC, NetworkMastercard, CardCredit),

	issuer("621661", nameBOC, NetworkUnionPay, CardDebit),
	issuer("621660", nameBOC, NetworkUnionPay, CardDebit),
	issuer("621785", nameBOC, NetworkUnionPay, CardDebit),
	issuer("601382", nameBOC, NetworkUnionPay, CardDebit),
	issuer("456351", nameBOC, NetworkVisa, CardDebit),
	issuer("622760", nameBOC, NetworkUnionPay, CardCredit),
	issuer("438088", nameBOC, NetworkVisa, CardCredit),
	issuer("518476", nameBOC, NetworkMastercard, CardCredit),

	issuer("622588", nameCMB, NetworkUnionPay, CardDebit),
	issuer("621483", nameCMB, NetworkUnionPay, CardDebit),
	issuer("621485", nameCMB, NetworkUnionPay, CardDebit),
	issuer("621486", nameCMB, NetworkUnionPay, CardDebit),
	issuer("622580", nameCMB, NetworkUnionPay, CardDebit),
	issuer("622609", nameCMB, NetworkUnionPay, CardDebit),
	issuer("622575", nameCMB, NetworkUnionPay, CardCredit),
	issuer("622576", nameCMB, NetworkUnionPay, CardCredit),
	issuer("439225", nameCMB, NetworkVisa, CardCredit),
	issuer("439226", nameCMB, NetworkVisa, CardCredit),
	issuer("439227", nameCMB, NetworkVisa, CardCredit),
	issuer("518710", nameCMB, NetworkMastercard, CardCredit),
	issuer("518718", nameCMB, NetworkMastercard, CardCredit),
	issuer("356889", nameCMB, NetworkJCB, CardCredit),

	issuer("622260", nameBOCOM, NetworkUnionPay, CardDebit),
	issuer("622262", nameBOCOM, NetworkUnionPay, CardDebit),
	issuer("405512", nameBOCOM, NetworkVisa, CardDebit),
	issuer("622252", nameBOCOM, NetworkUnionPay, CardCredit),
	issuer("458123", nameBOCOM, NetworkVisa, CardCredit),
	issuer("458124", nameBOCOM, NetworkVisa, CardCredit),
	issuer("520169", nameBOCOM, NetworkMastercard, CardCredit),

	issuer("621799", namePSBC, NetworkUnionPay, CardDebit),
	issuer("621098", namePSBC, NetworkUnionPay, CardDebit),
	issuer("622188", namePSBC, NetworkUnionPay, CardDebit),
	issuer("622150", namePSBC, NetworkUnionPay, CardDebit),
	issuer("622810", namePSBC, NetworkUnionPay, CardCredit),

	issuer("622690", nameCITIC, NetworkUnionPay, CardDebit),
	issuer("622691", nameCITIC, NetworkUnionPay, CardDebit),
	issuer("433670", nameCITIC, NetworkVisa, CardDebit),
	issuer("622680", nameCITIC, NetworkUnionPay, CardCredit),
	issuer("376968", nameCITIC, NetworkAmex, CardCredit),

	issuer("622660", nameCEB, NetworkUnionPay, CardDebit),
	issuer("622661", nameCEB, NetworkUnionPay, CardDebit),
	issuer("622655", nameCEB, NetworkUnionPay, CardCredit),

	issuer("622622", nameCMBC, NetworkUnionPay, CardDebit),
	issuer("415599", nameCMBC, NetworkVisa, CardDebit),
	issuer("622600", nameCMBC, NetworkUnionPay, CardCredit),

	issuer("622521", nameSPDB, NetworkUnionPay, CardDebit),
	issuer("622522", nameSPDB, NetworkUnionPay, CardDebit),
	issuer("622276", nameSPDB, NetworkUnionPay, CardCredit),

	issuer("622909", nameCIB, NetworkUnionPay, CardDebit),
	issuer("622908", nameCIB, NetworkUnionPay, CardDebit),
	issuer("622901", nameCIB, NetworkUnionPay, CardCredit),

	issuer("622298", namePAB, NetworkUnionPay, CardDebit),
	issuer("602907", namePAB, NetworkUnionPay, CardDebit),
	issuer("622155", namePAB, NetworkUnionPay, CardCredit),
	issuer("622156", namePAB, NetworkUnionPay, CardCredit),

	issuer("622630", nameHXB, NetworkUnionPay, CardDebit),
	issuer("622637", nameHXB, NetworkUnionPay, CardCredit),

	issuer("622568", nameCGB, NetworkUnionPay, CardDebit),
	issuer("622555", nameCGB, NetworkUnionPay, CardCredit),

	network("4", "4", NetworkVisa),
	network("51", "55", NetworkMastercard),
	network("2221", "2720", NetworkMastercard),
	network("34", "34", NetworkAmex),
	network("37", "37", NetworkAmex),
	network("62", "62", NetworkUnionPay),
	network("3528", "3589", NetworkJCB),
	network("6011", "6011", NetworkDiscover),
	network("644", "649", NetworkDiscover),
	network("65", "65", NetworkDiscover),
	network("300", "305", NetworkDiners),
	network("3095", "3095", NetworkDiners),
	network("36", "36", NetworkDiners),
	network("38", "39", NetworkDiners),
}
