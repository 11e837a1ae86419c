package stdcode

// provinceNames lists the province-level codes of GB/T 2260 (the first two
// digits of every administrative division code). The list has been stable
// since Chongqing (50) became a municipality in 1997, so it is kept in code
// rather than loaded from data. 71 (Taiwan), 81 (Hong Kong) and 82 (Macao)
// are real GB/T 2260 codes even though they have no subdivisions there.
var provinceNames = map[string]string{
	"11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
	"21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
	"31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
	"41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
	"50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
	"61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
	"71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}

// isRegionProvince reports whether p is a GB/T 2260 province-level code.
func isRegionProvince(p string) bool {
	_, ok := provinceNames[p]
	return ok
}

// isIDProvince reports whether p may start a 公民身份号码. Besides the GB/T
// 2260 provinces this admits 83, which is not an administrative division:
// the residence permits for Taiwan residents (港澳台居民居住证, issued since
// 2018) use the address code 830000, as those for Hong Kong and Macao
// residents use 810000 and 820000, and their numbers follow GB 11643.
func isIDProvince(p string) bool {
	return p == "83" || isRegionProvince(p)
}
