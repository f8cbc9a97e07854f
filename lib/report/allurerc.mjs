// Allure 3 configuration for `amc report` (render-stored.ts): the classic report layout, in
// one self-contained HTML file that opens from the file system. (The newer
// "awesome" layout always loads Google's analytics script; the classic one
// leaves it out when ALLURE_NO_ANALYTICS=true, which lib/report/render-stored.ts sets.)
import { defineConfig } from "allure";

export default defineConfig({
  name: "access-mode-conformance",
  plugins: {
    allure2: {
      options: {
        singleFile: true,
        reportLanguage: "en",
      },
    },
  },
});
