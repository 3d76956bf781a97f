//! The same three everyday sentences in many languages and scripts, for measuring tokenizer
//! "fertility" (tokens per word) and the cost of each language relative to English.
//!
//! The sentences were written and translated for this project; they are not taken from any
//! corpus or website. They avoid names and numbers so that only the language and script
//! change from one sample to the next. Text is plain Unicode (NFC), with no bidirectional
//! control characters: right-to-left scripts are stored in logical order.

/// One language's version of the shared sentences.
pub struct Sample {
    /// English name of the language, e.g. "Japanese".
    pub language: &'static str,
    /// Its script, e.g. "Latin", "Cyrillic", "Arabic", "Devanagari", "Han + Kana".
    pub script: &'static str,
    /// Whether words are separated by spaces (false for Chinese, Japanese, Thai), so "tokens per
    /// word" uses the English word count as the reference for those.
    pub spaced: bool,
    /// The same sentences, in the same order as English.
    pub sentences: [&'static str; 3],
}

/// English first, then the translations.
pub const SAMPLES: &[Sample] = &[
    Sample {
        language: "English",
        script: "Latin",
        spaced: true,
        sentences: [
            "It rained all morning, so we stayed at home and read books.",
            "The small market near the station sells fresh fruit and warm bread.",
            "Please return these books to the library before the end of the week.",
        ],
    },
    Sample {
        language: "Spanish",
        script: "Latin",
        spaced: true,
        sentences: [
            "Llovió toda la mañana, así que nos quedamos en casa y leímos libros.",
            "El pequeño mercado cerca de la estación vende fruta fresca y pan caliente.",
            "Por favor, devuelve estos libros a la biblioteca antes de que termine la semana.",
        ],
    },
    Sample {
        language: "German",
        script: "Latin",
        spaced: true,
        sentences: [
            "Es hat den ganzen Morgen geregnet, also sind wir zu Hause geblieben und haben Bücher gelesen.",
            "Der kleine Markt in der Nähe des Bahnhofs verkauft frisches Obst und warmes Brot.",
            "Bitte bring diese Bücher vor Ende der Woche in die Bibliothek zurück.",
        ],
    },
    Sample {
        language: "French",
        script: "Latin",
        spaced: true,
        sentences: [
            "Il a plu toute la matinée, alors nous sommes restés à la maison et avons lu des livres.",
            "Le petit marché près de la gare vend des fruits frais et du pain chaud.",
            "Merci de rendre ces livres à la bibliothèque avant la fin de la semaine.",
        ],
    },
    Sample {
        language: "Vietnamese",
        script: "Latin",
        spaced: true,
        sentences: [
            "Trời mưa suốt buổi sáng, nên chúng tôi ở nhà và đọc sách.",
            "Khu chợ nhỏ gần nhà ga bán trái cây tươi và bánh mì nóng.",
            "Vui lòng trả những cuốn sách này cho thư viện trước khi hết tuần.",
        ],
    },
    Sample {
        language: "Swahili",
        script: "Latin",
        spaced: true,
        sentences: [
            "Mvua ilinyesha asubuhi yote, kwa hiyo tulikaa nyumbani na kusoma vitabu.",
            "Soko dogo lililo karibu na kituo cha treni huuza matunda safi na mkate wa moto.",
            "Tafadhali rudisha vitabu hivi maktabani kabla ya mwisho wa wiki.",
        ],
    },
    Sample {
        language: "Russian",
        script: "Cyrillic",
        spaced: true,
        sentences: [
            "Всё утро шёл дождь, поэтому мы остались дома и читали книги.",
            "На маленьком рынке у вокзала продают свежие фрукты и тёплый хлеб.",
            "Пожалуйста, верните эти книги в библиотеку до конца недели.",
        ],
    },
    Sample {
        language: "Greek",
        script: "Greek",
        spaced: true,
        sentences: [
            "Έβρεχε όλο το πρωί, οπότε μείναμε στο σπίτι και διαβάσαμε βιβλία.",
            "Η μικρή αγορά κοντά στον σταθμό πουλάει φρέσκα φρούτα και ζεστό ψωμί.",
            "Παρακαλώ επιστρέψτε αυτά τα βιβλία στη βιβλιοθήκη πριν από το τέλος της εβδομάδας.",
        ],
    },
    Sample {
        language: "Arabic",
        script: "Arabic",
        spaced: true,
        sentences: [
            "أمطرت طوال الصباح، لذلك بقينا في البيت وقرأنا الكتب.",
            "يبيع السوق الصغير القريب من المحطة الفواكه الطازجة والخبز الساخن.",
            "من فضلك أعد هذه الكتب إلى المكتبة قبل نهاية الأسبوع.",
        ],
    },
    Sample {
        language: "Hebrew",
        script: "Hebrew",
        spaced: true,
        sentences: [
            "ירד גשם כל הבוקר, אז נשארנו בבית וקראנו ספרים.",
            "השוק הקטן ליד התחנה מוכר פירות טריים ולחם חם.",
            "בבקשה להחזיר את הספרים האלה לספרייה לפני סוף השבוע.",
        ],
    },
    Sample {
        language: "Hindi",
        script: "Devanagari",
        spaced: true,
        sentences: [
            "पूरी सुबह बारिश होती रही, इसलिए हम घर पर रहे और किताबें पढ़ीं।",
            "स्टेशन के पास वाले छोटे बाज़ार में ताज़े फल और गरम रोटियाँ बिकती हैं।",
            "कृपया ये किताबें हफ़्ते के अंत से पहले पुस्तकालय को लौटा दें।",
        ],
    },
    Sample {
        language: "Chinese",
        script: "Han",
        spaced: false,
        sentences: [
            "整个上午都在下雨，所以我们待在家里看书。",
            "车站附近的小市场卖新鲜水果和热面包。",
            "请在本周结束前把这些书还给图书馆。",
        ],
    },
    Sample {
        language: "Japanese",
        script: "Han + Kana",
        spaced: false,
        sentences: [
            "午前中ずっと雨だったので、私たちは家にいて本を読みました。",
            "駅の近くの小さな市場では、新鮮な果物と温かいパンを売っています。",
            "今週中にこれらの本を図書館に返却してください。",
        ],
    },
    Sample {
        language: "Korean",
        script: "Hangul",
        spaced: true,
        sentences: [
            "아침 내내 비가 와서 우리는 집에 머물며 책을 읽었어요.",
            "역 근처의 작은 시장에서는 신선한 과일과 따뜻한 빵을 팔아요.",
            "이번 주가 끝나기 전에 이 책들을 도서관에 반납해 주세요.",
        ],
    },
    Sample {
        language: "Thai",
        script: "Thai",
        spaced: false,
        sentences: [
            "ฝนตกตลอดทั้งเช้า เราจึงอยู่บ้านและอ่านหนังสือ",
            "ตลาดเล็ก ๆ ใกล้สถานีขายผลไม้สดและขนมปังอุ่น ๆ",
            "กรุณาคืนหนังสือเหล่านี้ที่ห้องสมุดก่อนสิ้นสัปดาห์",
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_has_three_non_empty_sentences() {
        for s in SAMPLES {
            assert!(!s.language.is_empty() && !s.script.is_empty());
            for (i, sentence) in s.sentences.iter().enumerate() {
                assert!(
                    !sentence.trim().is_empty(),
                    "{} sentence {i} is empty",
                    s.language
                );
            }
        }
    }

    #[test]
    fn enough_languages_and_scripts() {
        let mut languages: Vec<&str> = SAMPLES.iter().map(|s| s.language).collect();
        languages.sort_unstable();
        languages.dedup();
        assert_eq!(languages.len(), SAMPLES.len(), "duplicate language");
        assert!(languages.len() >= 12);

        let mut scripts: Vec<&str> = SAMPLES.iter().map(|s| s.script).collect();
        scripts.sort_unstable();
        scripts.dedup();
        assert!(scripts.len() >= 6, "only {} scripts", scripts.len());
    }

    #[test]
    fn english_is_first_and_spaced() {
        assert_eq!(SAMPLES[0].language, "English");
        assert!(SAMPLES[0].spaced);
    }

    #[test]
    fn unspaced_languages_are_marked() {
        for s in SAMPLES {
            let expect_spaced = !matches!(s.language, "Chinese" | "Japanese" | "Thai");
            assert_eq!(s.spaced, expect_spaced, "{}", s.language);
        }
    }

    #[test]
    fn no_control_or_bidi_characters() {
        let bidi = |c: char| {
            matches!(
                c,
                '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            )
        };
        for s in SAMPLES {
            for sentence in &s.sentences {
                for c in sentence.chars() {
                    assert!(
                        !c.is_control() && !bidi(c),
                        "{}: U+{:04X} in {sentence:?}",
                        s.language,
                        c as u32
                    );
                }
            }
        }
    }
}
