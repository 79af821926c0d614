package kyc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shiliantong/shiliantong/internal/kyc"
)

func TestValidName(t *testing.T) {
	valid := []string{
		"张三",
		"欧阳娜娜",
		"阿沛·阿旺晋美",
		"阿沛 · 阿旺晋美",
		"𠮷野家", // CJK extension B
		"Zhang San",
		"  Zhang   San  ",
		"Jean-Luc Picard",
		"O'Brien",
		"O’Brien",
		"'Abdu'l-Bahá",
		"José Ñúñez",
		"Jose\u0301 Nu\u0303n\u0303ez", // decomposed accents: combining marks
		"Đặng Thị Ngọc Thịnh",
		"Ōkuma ʻIolani",
		"Иван Петров",
		"محمد بن سلمان",
		"สมชาย ใจดี",
		"देवनागरी",
		"김민수",
		"山田 太郎",
		"Ｊｏｈｎ　Ｓｍｉｔｈ", // full-width, ideographic space
		"X",
		strings.Repeat("张", 64),
		strings.Repeat("张", 64) + "   ",
	}
	for _, name := range valid {
		if err := kyc.ValidName(name); err != nil {
			t.Errorf("ValidName(%q) = %v, want nil", name, err)
		}
	}
	invalid := []string{
		"",
		"   ",
		"\u3000",
		"张三1",
		"张三１",
		"Ⅲ",
		"a\tb",
		"a\nb",
		"a\rb",
		"a\x00",
		"a\u0085b",
		"John.Smith",
		"Smith, John",
		"Robert'); DROP TABLE users;--",
		"@",
		"·",
		"- '",
		"😀",
		"张三😀",
		"\u202Eabc", // right-to-left override
		"ab\u200Bc", // zero width space
		"\u0301",    // a lone combining mark
		"ab\xffc",   // invalid UTF-8
		"a<b>",
		strings.Repeat("张", 65),
	}
	for _, name := range invalid {
		if err := kyc.ValidName(name); !errors.Is(err, kyc.ErrName) {
			t.Errorf("ValidName(%q) = %v, want ErrName", name, err)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"  张  三  ", "张三"},
		{"张三", "张三"},
		{"阿沛 · 阿旺晋美", "阿沛·阿旺晋美"},
		{"阿沛•阿旺晋美", "阿沛·阿旺晋美"},
		{"阿沛・阿旺晋美", "阿沛·阿旺晋美"},
		{"阿沛‧阿旺晋美", "阿沛·阿旺晋美"},
		{"阿沛･阿旺晋美", "阿沛·阿旺晋美"},
		{"Abu · Bakr", "Abu·Bakr"},
		{"Mary \t Jane\nWatson", "Mary Jane Watson"},
		{"Ｊｏｈｎ　Ｓｍｉｔｈ", "John Smith"},
		{"O’Brien", "O'Brien"},
		{"山田 太郎", "山田太郎"},
		{"John 张", "John 张"},
		{"张 John", "张 John"},
		{"김 민수", "김 민수"},
		{"Zhang San", "Zhang San"},
	}
	for _, tt := range tests {
		if got := kyc.NormalizeName(tt.in); got != tt.want {
			t.Errorf("NormalizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := kyc.NormalizeName(tt.want); got != tt.want {
			t.Errorf("NormalizeName(%q) = %q, not idempotent", tt.want, got)
		}
	}
}

func TestSameName(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"张三", "张三", true},
		{"张三", "张 三", true},
		{"张三", "张四", false},
		{"Zhang San", "ZHANG SAN", true},
		{"zhang san", "  Zhang   San ", true},
		{"Zhang San", "ZhangSan", false},
		{"Zhang San", "San Zhang", false},
		{"阿沛 · 阿旺晋美", "阿沛·阿旺晋美", true},
		{"阿沛•阿旺晋美", "阿沛·阿旺晋美", true},
		{"John O'Brien", "JOHN O’BRIEN", true},
		{"Ｊｏｈｎ Ｓｍｉｔｈ", "john smith", true},
		{"Müller", "MÜLLER", true},
		{"Müller", "Muller", false},
		{"Иван Петров", "ИВАН ПЕТРОВ", true},
		{"Işık", "IŞIK", true},
		{"Işık", "ISIK", false},
		{"İbrahim", "ibrahim", true},
		{"Jean-Luc", "Jean Luc", false},
		{"", "", false},
		{"   ", "", false},
		{"1", "1", false},
		{"张三", "张三1", false},
		{"a\tb", "a b", false},
	}
	for _, tt := range tests {
		if got := kyc.SameName(tt.a, tt.b); got != tt.want {
			t.Errorf("SameName(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := kyc.SameName(tt.b, tt.a); got != tt.want {
			t.Errorf("SameName(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestValidNameErrorHidesName(t *testing.T) {
	for _, name := range []string{"Secret1", "Secret\tName", "Secret@Name", strings.Repeat("Secret", 20)} {
		err := kyc.ValidName(name)
		if err == nil || strings.Contains(err.Error(), "Secret") {
			t.Errorf("ValidName(%q) = %v: nil or reveals the name", name, err)
		}
	}
}
