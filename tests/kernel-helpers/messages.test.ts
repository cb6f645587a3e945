/**
 * The message catalogue: complete in Korean and English (the compiler checks keys and
 * placeholders; this checks the same at run time, as a translator editing the files would break
 * it), filled without leftovers, and written by the Korean style rules the notebooks follow.
 */
import assert from "node:assert/strict";
import { CATALOGUES, formatTemplate, message, MessageKey, render } from "@course-kit/kernel-helpers/messages";

const placeholders = (template: string) => [...new Set(template.match(/\{\w+\}/g) ?? [])].sort();
const keys = (lang: "en" | "ko") => Object.keys(CATALOGUES[lang]).sort();

/** Messages that are the same in both languages by design: code, or punctuation around values. */
const SAME_IN_BOTH: MessageKey[] = ["backend.wasm", "mistake.named"];

describe("message catalogue", () => {
  it("has every message in both languages, with the same placeholders", () => {
    assert.deepEqual(keys("ko"), keys("en"));
    assert.ok(keys("en").length > 150, `${keys("en").length} messages`);
    for (const key of keys("en") as MessageKey[]) {
      const en = CATALOGUES.en[key];
      const ko = CATALOGUES.ko[key];
      assert.deepEqual(placeholders(ko), placeholders(en), key);
      assert.ok(en.trim() !== "" && ko.trim() !== "", key);
      // Braces appear only as placeholders, so a template is never half-filled.
      for (const t of [en, ko]) assert.doesNotMatch(t.replace(/\{\w+\}/g, ""), /[{}]/, `${key}: ${t}`);
      if (!SAME_IN_BOTH.includes(key)) assert.notEqual(ko, en, `${key} is not translated`);
    }
  });

  it("writes Korean the notebooks' way: Hangul words, polite endings, no particle whose form depends on a placeholder", () => {
    for (const [key, ko] of Object.entries(CATALOGUES.ko)) {
      const words = ko.replace(/\{\w+\}/g, "");
      // Every sentence with words of its own is in Hangul (technical terms and code stay as they are).
      if (/[A-Za-z]{3}/.test(CATALOGUES.en[key as MessageKey].replace(/\{\w+\}|`[^`]*`/g, "")) && !SAME_IN_BOTH.includes(key as MessageKey)) {
        assert.match(words, /[가-힣]/, `${key}: ${ko}`);
      }
      // No plain -다 sentence ending (반말); polite -ㅂ니다/-세요 as in the notebooks.
      assert.doesNotMatch(ko, /(?<!니)다[.]/, `${key}: ${ko}`);
      // 은/는, 이/가, 을/를, 와/과, (으)로 change with the last sound of the word before them, which a
      // placeholder does not know; 의, 에, 에서, 이다 (입니다) fit any word.
      assert.doesNotMatch(ko, /\}(은|는|가|을|를|와|과|로|으로|이)(?=[\s,.:)]|$)/, `${key}: ${ko}`);
    }
  });

  it("fills placeholders, renders nested messages in the same language, and refuses a missing value", () => {
    assert.equal(message("en", "checks.caption", { exercise: "relu", passed: 1, total: 2 }), "relu: 1 / 2 public checks passed");
    assert.equal(message("ko", "checks.caption", { exercise: "relu", passed: 1, total: 2 }), "relu: 공개 테스트 2개 중 1개 통과");
    const ended = { key: "sandbox.endedWhileLoading", params: { why: { key: "sandbox.memoryLimit", params: { mb: 512 } } } } as const;
    assert.equal(render("en", ended), "your code ended the sandbox while loading: it used more than 512 MiB of memory");
    assert.equal(render("ko", ended), "코드를 불러오는 중에 sandbox가 끝났습니다: 메모리를 512 MiB보다 많이 썼습니다");
    assert.throws(() => formatTemplate("pad {pad} adds {pad} zeros", {}), /needs \{pad\}/);
    // Inherited names are not values.
    assert.throws(() => formatTemplate("{toString}", {}), /needs \{toString\}/);
  });
});
