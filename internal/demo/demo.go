// Package demo loads yiwang's demonstration data: the county of 桐庐县
// (Hangzhou, Zhejiang) with its departments, its government service centre
// and windows, staff for every role, two citizens and a company with an
// authorised agent. All demo accounts share the published password
// "yiwang-demo". Codes carry correct check characters; the people and the
// company are invented.
package demo

import (
	"context"
	"fmt"

	"yiwang/internal/db"
	"yiwang/internal/identity"
	"yiwang/internal/stdcode"
)

// Password is the password of every demo account.
const Password = "yiwang-demo"

// Account describes a demo login, for the list printed at start-up.
type Account struct {
	Username string
	Name     string
	Role     string
}

// County is the demo county's region code.
const County = "330122000000"

var regions = []struct{ code, name string }{
	{"330000000000", "浙江省"},
	{"330100000000", "杭州市"},
	{"330122000000", "桐庐县"},
	{"330122001000", "桐君街道"},
	{"330122002000", "旧县街道"},
	{"330122003000", "城南街道"},
	{"330122004000", "凤川街道"},
	{"330122101000", "富春江镇"},
	{"330122102000", "横村镇"},
	{"330122103000", "分水镇"},
	{"330122001001", "梅林社区"},
	{"330122001002", "学圣社区"},
	{"330122102201", "横村村"},
	{"330122102202", "阳山畈村"},
}

// creditCode builds a valid 统一社会信用代码 from its registration prefix
// (登记管理部门 + 机构类别 + 区划, 8 chars) and the first 8 characters of
// the organisation code.
func creditCode(prefix, org8 string) string {
	oc, err := stdcode.OrgCodeCheckChar(org8)
	if err != nil {
		panic(err)
	}
	body := prefix + org8 + string(oc)
	c, err := stdcode.CreditCodeCheckChar(body)
	if err != nil {
		panic(err)
	}
	return body + string(c)
}

// idNumber builds a valid 公民身份号码 from its first 17 digits.
func idNumber(first17 string) string {
	c, err := stdcode.IDCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

type dept struct {
	code, name, short, org8, phone, address string
}

var departments = []dept{
	{"sjj", "桐庐县数据资源管理局", "县数据局", "00249241", "0571-64281001", "桐庐县迎春南路277号"},
	{"scjg", "桐庐县市场监督管理局", "县市场监管局", "00249252", "0571-64282002", "桐庐县白云源东路86号"},
	{"wsjk", "桐庐县卫生健康局", "县卫健局", "00249263", "0571-64283003", "桐庐县学圣路555号"},
	{"rsj", "桐庐县人力资源和社会保障局", "县人社局", "00249274", "0571-64284004", "桐庐县迎春南路277号"},
	{"gaj", "桐庐县公安局", "县公安局", "00249285", "0571-64285005", "桐庐县洋洲南路199号"},
	{"mzj", "桐庐县民政局", "县民政局", "00249296", "0571-64286006", "桐庐县迎春南路277号"},
	{"zjj", "桐庐县住房和城乡建设局", "县住建局", "00249307", "0571-64287007", "桐庐县南门路29号"},
	{"ybj", "桐庐县医疗保障局", "县医保局", "00249318", "0571-64288008", "桐庐县迎春南路277号"},
	{"zrzy", "桐庐县自然资源和规划局", "县自然资源规划局", "00249321", "0571-64289009", "桐庐县白云源东路188号"},
	{"jtys", "桐庐县交通运输局", "县交通运输局", "00249332", "0571-64290010", "桐庐县洋洲南路88号"},
	{"jyj", "桐庐县教育局", "县教育局", "00249343", "0571-64291011", "桐庐县学圣路188号"},
	{"sw", "国家税务总局桐庐县税务局", "县税务局", "00249354", "0571-64292012", "桐庐县迎春南路268号"},
	{"sthj", "杭州市生态环境局桐庐分局", "市生态环境局桐庐分局", "00249365", "0571-64293013", "桐庐县滨江路588号"},
	{"nync", "桐庐县农业农村局", "县农业农村局", "00249376", "0571-64294014", "桐庐县瑶琳路36号"},
	{"wglt", "桐庐县文化和广电旅游体育局", "县文广旅体局", "00249387", "0571-64295015", "桐庐县春江路99号"},
	{"tyjr", "桐庐县退役军人事务局", "县退役军人事务局", "00249398", "0571-64296016", "桐庐县迎春南路277号"},
}

// Load fills an empty database with the demo data in one transaction and
// returns the demo accounts.
func Load(ctx context.Context, ids *identity.Service) ([]Account, error) {
	// One hash for all demo accounts: they share a published password, and
	// hashing once keeps the first start fast.
	hash, err := identity.HashPassword(Password)
	if err != nil {
		return nil, err
	}
	var accounts []Account
	err = ids.DB.InTx(ctx, func(tx *db.Tx) error {
		sd := identity.Seeder{S: ids, Tx: tx}
		for _, r := range regions {
			if err := sd.Region(ctx, r.code, r.name); err != nil {
				return fmt.Errorf("region %s: %w", r.code, err)
			}
		}
		deptIDs := map[string]string{}
		for _, d := range departments {
			id, err := sd.Department(ctx, identity.NewDepartment{Code: d.code, Name: d.name, ShortName: d.short,
				CreditCode: creditCode("11330122", d.org8), RegionCode: County, Phone: d.phone, Address: d.address})
			if err != nil {
				return fmt.Errorf("department %s: %w", d.code, err)
			}
			deptIDs[d.code] = id
		}
		if _, err := sd.Centre(ctx, identity.Centre{
			Name: "桐庐县政务服务中心", RegionCode: County, Address: "桐庐县桐君街道迎春南路277号",
			Hours: "周一至周五 8:30–12:00，13:30–17:00；周六上午延时服务（法定节假日除外）", Phone: "0571-64281000",
			Windows: []identity.Window{
				{Number: "1", Name: "综合受理窗口", Kind: "comprehensive"},
				{Number: "2", Name: "综合受理窗口", Kind: "comprehensive"},
				{Number: "3", Name: "综合受理窗口", Kind: "comprehensive"},
				{Number: "4", Name: "企业开办综合窗口", Kind: "comprehensive"},
				{Number: "8", Name: "帮办代办窗口", Kind: "help"},
				{Number: "9", Name: "综合出件窗口", Kind: "comprehensive"},
				{Number: "12", Name: "户籍业务专窗", Kind: "department", DepartmentID: deptIDs["gaj"]},
				{Number: "15", Name: "医保业务专窗", Kind: "department", DepartmentID: deptIDs["ybj"]},
			},
		}); err != nil {
			return err
		}
		if _, err := sd.Centre(ctx, identity.Centre{
			Name: "横村镇便民服务中心", RegionCode: "330122102000", Address: "桐庐县横村镇横村大道18号",
			Hours: "周一至周五 8:30–11:30，13:30–17:00", Phone: "0571-64301234",
			Windows: []identity.Window{
				{Number: "1", Name: "就近办综合窗口", Kind: "comprehensive"},
				{Number: "2", Name: "帮办代办窗口", Kind: "help"},
			},
		}); err != nil {
			return err
		}

		countyScope := []identity.Scope{{RegionCode: County}}
		staff := []struct {
			user, name, dept string
			roles            []identity.Role
			scope            []identity.Scope
			label            string
		}{
			{"admin", "赵敏", "sjj", []identity.Role{identity.RoleAdmin, identity.RoleMaintainer}, []identity.Scope{{RegionCode: "330000000000"}}, "平台管理员"},
			{"window1", "张丽", "sjj", []identity.Role{identity.RoleClerk}, countyScope, "综合窗口人员（县政务服务中心）"},
			{"supervisor1", "孙建军", "sjj", []identity.Role{identity.RoleSupervisor}, countyScope, "效能监察人员"},
			{"scjg1", "刘伟", "scjg", []identity.Role{identity.RoleApprover}, nil, "审批人员（县市场监管局）"},
			{"scjgfz", "何志强", "scjg", []identity.Role{identity.RoleApprover, identity.RoleDeptHead}, nil, "部门负责人（县市场监管局）"},
			{"scjgwh", "钱琳", "scjg", []identity.Role{identity.RoleMaintainer}, nil, "事项维护人员（县市场监管局）"},
			{"wsjk1", "陈静", "wsjk", []identity.Role{identity.RoleApprover}, nil, "审批人员（县卫健局）"},
			{"rsj1", "周海燕", "rsj", []identity.Role{identity.RoleApprover}, nil, "审批人员（县人社局）"},
			{"gaj1", "吴强", "gaj", []identity.Role{identity.RoleApprover}, nil, "审批人员（县公安局）"},
			{"mzj1", "郑芳", "mzj", []identity.Role{identity.RoleApprover}, nil, "审批人员（县民政局）"},
			{"zjj1", "冯涛", "zjj", []identity.Role{identity.RoleApprover}, nil, "审批人员（县住建局）"},
			{"ybj1", "蒋雪梅", "ybj", []identity.Role{identity.RoleApprover}, nil, "审批人员（县医保局）"},
			{"zrzy1", "杨帆", "zrzy", []identity.Role{identity.RoleApprover, identity.RoleDeptHead}, nil, "审批人员（县自然资源规划局）"},
			{"jtys1", "徐国栋", "jtys", []identity.Role{identity.RoleApprover}, nil, "审批人员（县交通运输局）"},
			{"jyj1", "黄晓燕", "jyj", []identity.Role{identity.RoleApprover}, nil, "审批人员（县教育局）"},
			{"sw1", "马俊", "sw", []identity.Role{identity.RoleApprover}, nil, "审批人员（县税务局）"},
			{"sthj1", "朱丽华", "sthj", []identity.Role{identity.RoleApprover}, nil, "审批人员（市生态环境局桐庐分局）"},
			{"nync1", "胡建平", "nync", []identity.Role{identity.RoleApprover}, nil, "审批人员（县农业农村局）"},
			{"wglt1", "林佳", "wglt", []identity.Role{identity.RoleApprover}, nil, "审批人员（县文广旅体局）"},
			{"tyjr1", "郭志刚", "tyjr", []identity.Role{identity.RoleApprover}, nil, "审批人员（县退役军人事务局）"},
			{"sjj1", "方婷", "sjj", []identity.Role{identity.RoleApprover}, nil, "审批人员（县数据局，“一件事”牵头）"},
		}
		for _, s := range staff {
			scope := s.scope
			if scope == nil {
				scope = []identity.Scope{{DepartmentID: deptIDs[s.dept]}}
			}
			if _, err := sd.Staff(ctx, s.user, hash, s.name, deptIDs[s.dept], s.roles, scope); err != nil {
				return fmt.Errorf("staff %s: %w", s.user, err)
			}
			accounts = append(accounts, Account{Username: s.user, Name: s.name, Role: s.label})
		}

		// E-mail addresses for notices are at example.com (RFC 2606), so
		// a demo with a real SMTP server configured mails nobody real.
		// 王秀英 has none: she is told by SMS and in the app.
		people := []struct {
			user, name, id17, phone, email, label string
		}{
			{"citizen1", "王秀英", "33012219560312002", "13957112345", "", "个人（70岁，常用大字版）"},
			{"citizen2", "李建国", "33012219880715301", "13605718866", "lijianguo@example.com", "个人"},
		}
		for _, p := range people {
			pid, err := sd.Person(ctx, identity.NewPerson{Name: p.name, IDNumber: idNumber(p.id17), Phone: p.phone})
			if err != nil {
				return fmt.Errorf("person %s: %w", p.user, err)
			}
			if p.email != "" {
				if err := sd.PersonEmail(ctx, pid, p.email); err != nil {
					return err
				}
			}
			if _, err := sd.PersonAccount(ctx, p.user, hash, pid, p.name); err != nil {
				return err
			}
			accounts = append(accounts, Account{Username: p.user, Name: p.name, Role: p.label})
		}

		legalRep, err := sd.Person(ctx, identity.NewPerson{Name: "周国华", IDNumber: idNumber("33012219720228151"), Phone: "13805719090"})
		if err != nil {
			return err
		}
		agent, err := sd.Person(ctx, identity.NewPerson{Name: "陈晓峰", IDNumber: idNumber("33012219910503401"), Phone: "15867123456"})
		if err != nil {
			return err
		}
		if err := sd.PersonEmail(ctx, agent, "chenxiaofeng@example.com"); err != nil {
			return err
		}
		company, err := sd.Company(ctx, identity.Company{
			Name: "桐庐春江餐饮管理有限公司", CreditCode: creditCode("91330122", "MA2KDY7C"),
			LegalRepName: "周国华", RegionCode: "330122001000", Address: "桐庐县桐君街道春江路158号",
		}, legalRep)
		if err != nil {
			return err
		}
		if err := sd.Agent(ctx, company, agent, "agent", nil); err != nil {
			return err
		}
		if _, err := sd.CompanyAccount(ctx, "company1", hash, company, agent, "陈晓峰"); err != nil {
			return err
		}
		accounts = append(accounts, Account{Username: "company1", Name: "陈晓峰", Role: "法人经办人（桐庐春江餐饮管理有限公司）"})
		return nil
	})
	return accounts, err
}

// IsEmpty reports whether the database has no accounts yet (a fresh
// installation that demo data may be loaded into).
func IsEmpty(ctx context.Context, q db.Querier) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM accounts`).Scan(&n); err != nil {
		return false, err
	}
	return n == 0, nil
}
