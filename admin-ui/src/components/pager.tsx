import { useI18n } from '../i18n/index.js';
import { formatNumber } from '../lib/format.js';

interface PagerProps {
  page: number;
  pageSize: number;
  total: number;
  onPage: (page: number) => void;
}

export function Pager({ page, pageSize, total, onPage }: PagerProps) {
  const { t, lang } = useI18n();
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  return (
    <nav class="pager" aria-label={t('pager.label')}>
      <span data-testid="pager-info">
        {t('pager.showing', {
          from: formatNumber(lang, from),
          to: formatNumber(lang, to),
          total: formatNumber(lang, total),
        })}
      </span>
      <button type="button" onClick={() => onPage(1)} disabled={page <= 1} aria-label={t('pager.first')}>
        «
      </button>
      <button type="button" onClick={() => onPage(page - 1)} disabled={page <= 1} data-testid="pager-prev">
        {t('pager.prev')}
      </button>
      <span>{t('pager.page', { page: formatNumber(lang, page), pages: formatNumber(lang, pages) })}</span>
      <button
        type="button"
        onClick={() => onPage(page + 1)}
        disabled={page >= pages}
        data-testid="pager-next"
      >
        {t('pager.next')}
      </button>
      <button
        type="button"
        onClick={() => onPage(pages)}
        disabled={page >= pages}
        aria-label={t('pager.last')}
      >
        »
      </button>
    </nav>
  );
}
