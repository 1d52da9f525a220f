import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { REVIEW_PAGE_BUNDLE } from '../../src/contracts/review-page-bundle';
import { lazyReviewPageRenderer, reviewPageModuleUrl } from '../../src/report/lazy-review-page';
import { renderReviewPackHtml, reviewDocumentSchema } from '../../src/report/review-pack';
import { reportFixture } from '../support/report-fixture';
import { packFixture } from '../support/review-fixtures';

const dir = mkdtempSync(path.join(tmpdir(), 'lazy-review-page-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A page module that counts how often it is evaluated and names itself in what it renders. */
function fakeModule(name: string): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    `globalThis.__reviewPageImports = (globalThis.__reviewPageImports ?? 0) + 1;
     export function renderReviewPackPage(document) { return '${name}: ' + document.pack.title; }`,
  );
  return pathToFileURL(file).href;
}

const document = () => reviewDocumentSchema.parse({ pack: packFixture(), report: reportFixture() });
const imports = () => (globalThis as { __reviewPageImports?: number }).__reviewPageImports ?? 0;

describe('lazyReviewPageRenderer', () => {
  it('imports the page code on the first render only, and once', async () => {
    const url = fakeModule('once.mjs');
    const before = imports();
    const render = lazyReviewPageRenderer(url);
    expect(imports()).toBe(before);
    expect(await render(document())).toBe(`once.mjs: ${document().pack.title}`);
    await render(document());
    expect(imports()).toBe(before + 1);
  });

  it('tries the import again on the next render when it failed', async () => {
    const missing = pathToFileURL(path.join(dir, 'later.mjs')).href;
    const render = lazyReviewPageRenderer(missing);
    await expect(render(document())).rejects.toThrow();
    fakeModule('later.mjs');
    expect(await render(document())).toBe(`later.mjs: ${document().pack.title}`);
  });

  it("uses the bundle's page module beside the running bundle, else the sources", () => {
    const bundleDir = mkdtempSync(path.join(dir, 'asset-'));
    const bundle = pathToFileURL(path.join(bundleDir, 'index.mjs')).href;
    expect(reviewPageModuleUrl(bundle)).toBe(pathToFileURL(path.join(bundleDir, 'review-pack-page.ts')).href);
    writeFileSync(path.join(bundleDir, REVIEW_PAGE_BUNDLE.file), '');
    expect(reviewPageModuleUrl(bundle)).toBe(pathToFileURL(path.join(bundleDir, REVIEW_PAGE_BUNDLE.file)).href);
    expect(reviewPageModuleUrl()).toMatch(/\/src\/report\/review-pack-page\.ts$/);
  });

  it('renders from the sources the page renderReviewPackHtml renders', async () => {
    expect(await lazyReviewPageRenderer()(document())).toBe(renderReviewPackHtml(document()));
  });
});
