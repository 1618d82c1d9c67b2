import { ConfigForm } from './config-form.js';
import { TokensSection } from './tokens-section.js';

export function SettingsPage() {
  return (
    <div class="stack-lg">
      <ConfigForm />
      <TokensSection />
    </div>
  );
}
