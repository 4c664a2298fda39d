//! Amounts in Russian words, as printed on statements:
//! 1 234,50 → «одна тысяча двести тридцать четыре рубля 50 копеек».

const ONES_M: [&str; 20] = [
    "",
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
];
const TENS: [&str; 10] = [
    "",
    "",
    "двадцать",
    "тридцать",
    "сорок",
    "пятьдесят",
    "шестьдесят",
    "семьдесят",
    "восемьдесят",
    "девяносто",
];
const HUNDREDS: [&str; 10] = [
    "",
    "сто",
    "двести",
    "триста",
    "четыреста",
    "пятьсот",
    "шестьсот",
    "семьсот",
    "восемьсот",
    "девятьсот",
];

/// Picks the noun form for `n`: one (1, 21), few (2–4, 22–24), many (others).
pub fn plural<'a>(n: u64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    let (d, h) = (n % 10, n % 100);
    if (11..=14).contains(&h) {
        many
    } else if d == 1 {
        one
    } else if (2..=4).contains(&d) {
        few
    } else {
        many
    }
}

/// Words for 1..=999, feminine for thousands (одна, две).
fn triple(n: u64, feminine: bool) -> Vec<&'static str> {
    let mut w = Vec::new();
    let (h, rest) = (n / 100, n % 100);
    if h > 0 {
        w.push(HUNDREDS[h as usize]);
    }
    let ones = if rest < 20 {
        rest
    } else {
        w.push(TENS[(rest / 10) as usize]);
        rest % 10
    };
    match (ones, feminine) {
        (0, _) => {}
        (1, true) => w.push("одна"),
        (2, true) => w.push("две"),
        (o, _) => w.push(ONES_M[o as usize]),
    }
    w
}

/// A whole number in words (masculine), «ноль» for 0.
pub fn number(n: u64) -> String {
    if n == 0 {
        return "ноль".into();
    }
    let scales: [(u64, bool, [&str; 3]); 3] = [
        (
            1_000_000_000,
            false,
            ["миллиард", "миллиарда", "миллиардов"],
        ),
        (1_000_000, false, ["миллион", "миллиона", "миллионов"]),
        (1_000, true, ["тысяча", "тысячи", "тысяч"]),
    ];
    let mut words: Vec<String> = Vec::new();
    let mut rest = n;
    for (size, fem, forms) in scales {
        let k = rest / size;
        if k > 0 {
            words.extend(triple(k % 1000, fem).into_iter().map(String::from));
            if k >= 1000 {
                words.insert(0, number(k / 1000));
            }
            words.push(plural(k, forms[0], forms[1], forms[2]).into());
        }
        rest %= size;
    }
    words.extend(triple(rest, false).into_iter().map(String::from));
    words.join(" ")
}

/// Kopecks as «… рублей NN копеек».
pub fn rubles(kopecks: i64) -> String {
    let k = kopecks.unsigned_abs();
    let (r, c) = (k / 100, k % 100);
    let sign = if kopecks < 0 { "минус " } else { "" };
    format!(
        "{sign}{} {} {c:02} {}",
        number(r),
        plural(r, "рубль", "рубля", "рублей"),
        plural(c, "копейка", "копейки", "копеек")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn amounts_in_words() {
        assert_eq!(
            rubles(123_450),
            "одна тысяча двести тридцать четыре рубля 50 копеек"
        );
        assert_eq!(
            rubles(2_460_780),
            "двадцать четыре тысячи шестьсот семь рублей 80 копеек"
        );
        assert_eq!(rubles(100), "один рубль 00 копеек");
        assert_eq!(rubles(1_101), "одиннадцать рублей 01 копейка");
        assert_eq!(
            rubles(21_220_000_002),
            "двести двенадцать миллионов двести тысяч рублей 02 копейки"
        );
        assert_eq!(rubles(0), "ноль рублей 00 копеек");
        assert_eq!(number(2_000_000_000), "два миллиарда");
        assert_eq!(number(21_000), "двадцать одна тысяча");
    }
}
