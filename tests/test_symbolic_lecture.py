from diffcompare.symbolic.lecture import auto_evaluation, lecture_examples, logistic_table


def test_lecture_examples_and_slide_typo():
    ex11, ex19 = lecture_examples()
    assert ex11.cell == 11 and ex11.output == "x*Exp[b + w*x]/(Exp[b + w*x] + 1)"
    assert ex11.equals_by_hand is True and ex11.by_hand == "x e^(wx+b)/(1+e^(wx+b))"
    assert ex11.equals_slide is False and ex11.slide.startswith("w*")     # w in the numerator where x belongs
    assert ex19.cell == 19 and ex19.equals_slide is True


def test_published_logistic_table():
    table = logistic_table()
    assert [r["n"] for r in table] == [1, 2, 3, 4] and all(r["matches_published"] for r in table)
    assert [r["tree_d"] for r in table] == [1, 5, 44, 166]


def test_auto_evaluation_is_detected():
    naive, chain = auto_evaluation(depth=3)
    assert naive["collapsed"] == 3 and "->" in naive["example"] and naive["depth"] == 3
    assert chain["collapsed"] == 0 and chain["tape"] == 15
