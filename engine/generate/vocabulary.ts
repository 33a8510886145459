/**
 * Words and phrases of a helpdesk, and the composer that turns them into
 * titles, descriptions, comments, notes and people.
 *
 * The text is realistic where a migration cares: commas, double quotes, tabs,
 * CR/LF, Windows paths full of backslashes, accents, emoji and CJK, so that
 * quoting, escaping and UTF-8 handling downstream are exercised on every run.
 * Sentences are filled once into pools at start-up; per row the composer only
 * picks and concatenates, which keeps a million tickets within seconds.
 */
import { SeededRandom, WeightedChoice } from "./random";

/** Values of `{slot}` placeholders in the templates below. */
const SLOTS: Readonly<Record<string, readonly string[]>> = {
  app: [
    "Outlook",
    "Teams",
    "SAP GUI",
    "Excel",
    "Chrome",
    "Firefox",
    "Zoom",
    "Salesforce",
    "Jira",
    "OneDrive",
    "AutoCAD",
    "Adobe Acrobat",
    "GlobalProtect",
    "Cisco AnyConnect",
    "Citrix Workspace",
    "SharePoint",
  ],
  device: [
    "laptop",
    "docking station",
    "second monitor",
    "printer",
    "headset",
    "iPhone",
    "Android phone",
    "desk phone",
    "keyboard",
    "scanner",
    "projector",
    "webcam",
  ],
  model: [
    "Latitude 7440",
    "ThinkPad T14 Gen 3",
    "EliteBook 840 G9",
    'MacBook Pro 14"',
    "Surface Pro 9",
    "HP LaserJet M607",
    "Ricoh IM C3000",
    "Jabra Evolve2 65",
    "Dell U2723QE",
  ],
  os: ["Windows 11 23H2", "Windows 10 22H2", "macOS Sonoma 14.4", "Ubuntu 22.04 LTS", "iOS 17.3", "Android 14"],
  error: [
    "0x80070005 Access is denied",
    "The trust relationship between this workstation and the primary domain failed",
    "ERR_CONNECTION_TIMED_OUT",
    "Your password has expired",
    "Cannot connect to the print spooler",
    "The certificate is not trusted",
    "Error 1603: fatal error during installation",
    "AADSTS50076: MFA required",
    "Mailbox quota exceeded (49.5 GB / 50 GB)",
    "Disk C:\\ is full",
    "The VPN connection was terminated by the remote gateway",
    'Exception in thread "main" java.lang.OutOfMemoryError',
    "Der Server antwortet nicht",
  ],
  site: [
    "Zürich",
    "München",
    "São Paulo",
    "Kraków",
    "Montréal",
    "Málaga",
    "London",
    "New York",
    "Bengaluru",
    "Łódź",
    "Genève",
    "Köln",
    "東京",
    "Paris",
  ],
  floor: ["ground", "1st", "2nd", "3rd", "4th", "5th", "7th"],
  when: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "this morning", "yesterday afternoon", "last week"],
  login: ["jdoe", "m.mueller", "a.silva", "k.nowak", "s.tanaka", "r.patel", "c.dubois", "l.garcia", "o.brien"],
  file: ["report_Q3", "budget_2024", "Übersicht", "invoice-4471", "export", "crash_dump", "setup", "Rückmeldung"],
  dept: ["Finance", "HR", "Legal", "R&D", "Marketing", "Procurement", "Sales", "Facilities"],
  emoji: ["🙏", "👍", "😞", "🔥", "✅", "⚠️", "💻", "😅", "🖨️"],
  cjk: ["打印机无法连接", "网络很慢", "ログインできません", "会議室のプロジェクター", "비밀번호 재설정", "系统错误"],
  phrase: [
    "Merci beaucoup, ça marche !",
    "Danke für die schnelle Hilfe.",
    "¡Gracias! Ya funciona.",
    "Obrigado pela ajuda.",
    "Grazie, tutto risolto.",
    "Dziękuję, już działa.",
  ],
  remote: ["TeamViewer", "Quick Assist", "Bomgar", "AnyDesk"],
  team: ["L2", "Network Operations", "Identity & Access", "the vendor", "Security Operations"],
  n: ["2", "3", "4", "5", "7", "10", "12", "15", "20", "30", "45", "60"],
  version: ["4.12.3", "23.10", "2.7.1", "16.0.17328", "11.2", "5.0.0-rc2"],
};

const DESCRIPTION_TEMPLATES = [
  "Since {when} the user cannot open {app} on the {device}.",
  'Error message: "{error}".',
  "Log file: C:\\Users\\{login}\\AppData\\Local\\{app}\\Logs\\{file}.log",
  "The problem started after the {os} update, asset tag AST-{n}{n}{n}.",
  "User sits in the {site} office, {floor} floor, next to the café.",
  "Steps tried: restarted the {device}, cleared the cache, reinstalled {app} {version}.",
  "Details:\n- OS: {os}\n- Model: {model}\n- IP: 10.{n}.{n}.{n}",
  "Asset\tAST-{n}{n}{n}\tSite\t{site}",
  "Shared folder \\\\fs{n}\\{dept}\\{file} is not reachable from the {device}.",
  "It happens roughly every {n} minutes, mostly on Wi-Fi, never on cable.",
  "{n} colleagues in {dept} are affected as well, see the thread below.",
  'The user wrote: "{cjk}".',
  "Please treat this as urgent, the quarter close is on Friday {emoji}",
  'Screenshot attached ("{file}.png").',
  'Registry key HKLM\\SOFTWARE\\Policies\\{app} was changed by GPO, value "{n}".',
  "Works fine on the {device} at home, not in the office.",
  "Tried {app} and the web portal: same result.",
  '"{error}" appears right after login, sometimes twice.',
  "Also, from the user: {phrase}",
  "Last known good state was {when}, before the {app} {version} rollout.",
  "Contact number +41 44 {n}{n} {n}{n}, reachable after 14:00 CET.",
  "Path: D:\\Projects\\{dept}\\{file}_v{n}.xlsx",
  "Impact: {dept}, about {n} users; no workaround, {n}% slower.",
  "The {model} was delivered on {when}, with {os} preinstalled.",
  "Caller says the badge reader at the café entrance in {site} beeps twice, then nothing.",
  "Manager in CC; the user travels to {site} next week.",
  "Heute früh ging es noch, jetzt nicht mehr.",
];

const COMMENT_TEMPLATES = [
  "Called the user, no answer; will try again tomorrow.",
  "Remote session via {remote} done, {app} reinstalled, issue resolved.",
  "Escalating to {team} as per SLA.",
  "Waiting for vendor reply (case #{n}{n}{n}).",
  "Thanks, that worked! {emoji}",
  "Hi, any update on this? {emoji}",
  "Reopening: the problem is back since {when} 😞",
  "{phrase}",
  "Internal: VIP user, keep the manager in CC.",
  "Replaced the {device}, old one tagged AST-{n}{n}{n} and sent to the depot.",
  "Log excerpt:\n{error}\n  at C:\\Program Files\\{app}\\bin\\core.dll",
  'Please run "gpupdate /force" and reboot.',
  "User confirmed {n} colleagues can reproduce it.",
  'Asked the user for a screenshot of "{error}".',
  "Closing as there was no reply for {n} days.",
  "Part ordered, ETA {n} business days.",
  'Spoke to the site lead in {site}: "{cjk}"',
  "Password reset done, temporary password sent by SMS.",
  "Moved to the {team} queue.",
  'Still failing with "{error}" on the {device}.',
  ...DESCRIPTION_TEMPLATES.slice(0, 12),
];

const NOTE_TEMPLATES = [
  "Remote troubleshooting",
  "On-site visit, {site}",
  "Replaced toner and fuser",
  "Phone call with the user",
  "Travel to the {site} office",
  "Reimaged laptop ({model})",
  "Vendor call, case #{n}{n}{n}",
  "Documentation update",
  "Set up {app} {version}",
  "Waiting on the user; {n} min check-in",
  "Diagnostics on the {device}, see ticket",
  "Checked C:\\Windows\\Logs\\CBS, nothing obvious",
  'Meeting with {dept} about "{app}"',
];

const TITLE_SUBJECTS = [
  "VPN",
  "Printer on {floor} floor",
  "Outlook",
  "Teams calls",
  "Laptop battery",
  "Wi-Fi in the {site} office",
  "SAP login",
  "MFA prompt",
  "Shared drive S:\\",
  "Docking station",
  "Second monitor",
  "Badge reader at café entrance",
  "Salesforce dashboard",
  "Excel macro",
  "Desk phone",
  "OneDrive sync",
  "Zoom Room in {site}",
  "New starter laptop",
  "Password reset",
  "Citrix session",
  "Email signature",
  "Projector in meeting room {n}",
  "Jira board",
  "Nightly backup job",
  "{app}",
];
const TITLE_PROBLEMS = [
  "drops every {n} minutes",
  "shows paper jam",
  "won't start after update",
  "is extremely slow",
  "keeps asking for password",
  "crashes when opening attachments",
  "not working",
  "shows error {n}{n}",
  "cannot connect",
  "freezes during screen share",
  "stuck at 99%",
  "no longer syncing",
  "access request",
  "missing after migration",
  "flickers on and off",
  "rejects my credentials",
  "needs replacing",
  "has no sound",
];
const TITLE_CONTEXTS = [
  "on Wi-Fi",
  "since Monday",
  "after Windows update",
  "for the whole team",
  "(urgent)",
  "- affects {n} users",
  "since this morning",
  "for new starters",
  "in {site}",
  "when working from home",
  "again, see previous ticket",
  "on the {device}",
];
const TITLE_PREFIXES = ["Re: ", "FW: ", "[URGENT] ", "RE: RE: "];

const FIRST_NAMES = [
  "James",
  "Mary",
  "José",
  "Zoë",
  "Anaïs",
  "Björn",
  "Łukasz",
  "Søren",
  "Chloé",
  "Mohammed",
  "Priya",
  "Wei",
  "Yuki",
  "Olga",
  "Liam",
  "Fatima",
  "Ahmed",
  "Sofia",
  "Mateo",
  "Élodie",
  "Jürgen",
  "Aisha",
  "Hiroshi",
  "Ana",
  "Thomas",
  "Emma",
  "Noah",
  "Ingrid",
  "Raúl",
  "Siobhán",
  "Kwame",
  "Grace",
];
const LAST_NAMES = [
  "Smith",
  "Müller",
  "García",
  "O'Brien",
  "Nowak",
  "Dubois",
  "Rossi",
  "Tanaka",
  "Patel",
  "Kowalski",
  "Nguyễn",
  "Silva",
  "Johansson",
  "Schmidt",
  "Fernández",
  "Kim",
  "Chen",
  "Ivanova",
  "Okafor",
  "van der Berg",
  "Løvås",
  "Šimić",
  "Jones",
  "Martin",
  "Bianchi",
  "Yılmaz",
  "Haddad",
  "Costa",
  "Murphy",
];
const EMAIL_DOMAINS = ["acme-corp.com", "contoso.ch", "example.co.uk", "globex.de", "initech.io", "umbrella.com.br"];

/** Catalogue values of tickets and timesheets. */
export const CATEGORIES = [
  "Hardware",
  "Software",
  "Network",
  "Access Request",
  "Email",
  "Printing",
  "VPN / Remote Access",
  "Telephony",
  "Security Incident",
  "Account Management",
  "Facilities",
  "Other",
];
export const TEAMS = [
  "Service Desk L1",
  "Service Desk L2",
  "Network Operations",
  "End User Computing",
  "Identity & Access",
  "Applications Support",
  "Infrastructure",
  "Security Operations",
];
export const STATUSES = new WeightedChoice<string>([
  ["open", 14],
  ["in_progress", 14],
  ["pending", 9],
  ["resolved", 23],
  ["closed", 40],
]);
export const PRIORITIES = new WeightedChoice<string>([
  ["P1", 5],
  ["P2", 20],
  ["P3", 52],
  ["P4", 23],
]);

/** Between sentences: mostly a space, sometimes a line break (CRLF from Windows mail clients). */
const SEPARATORS = new WeightedChoice<string>([
  [" ", 72],
  ["\n", 18],
  ["\n\n", 7],
  ["\r\n", 3],
]);
const POOL_SIZE = 8192;
const STAFF_SIZE = 64;

/** A person: display name and the ASCII e-mail address a directory would give them. */
export interface Person {
  readonly name: string;
  readonly email: string;
}

/** Pre-filled sentences with their length in code points, which is what SQLite's length() counts. */
interface SentencePool {
  readonly texts: readonly string[];
  readonly chars: readonly number[];
}

/** Counts code points: SQLite measures text in characters, JS strings in UTF-16 units. */
export function codePointLength(text: string): number {
  let surrogates = 0;
  for (let i = 0; i < text.length; i++) if ((text.charCodeAt(i) & 0xfc00) === 0xd800) surrogates++;
  return text.length - surrogates;
}

/** Folds a display name to e-mail ASCII: 'Łukasz' -> 'lukasz', "O'Brien" -> 'obrien'. */
function asciiFold(name: string): string {
  return name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[Łł]/g, "l")
    .replace(/[Øø]/g, "o")
    .replace(/ı/g, "i")
    .replace(/[^A-Za-z]/g, "")
    .toLowerCase();
}

/** Composes every piece of helpdesk text from one seeded stream. */
export class HelpdeskText {
  private readonly descriptionPool: SentencePool;
  private readonly commentPool: SentencePool;
  private readonly notePool: SentencePool;
  /** The technicians of the service desk, a fixed roster per seed. */
  readonly staff: readonly string[];

  constructor(private readonly rng: SeededRandom) {
    this.descriptionPool = this.buildPool(DESCRIPTION_TEMPLATES);
    this.commentPool = this.buildPool(COMMENT_TEMPLATES);
    this.notePool = this.buildPool(NOTE_TEMPLATES);
    this.staff = Array.from({ length: STAFF_SIZE }, () => this.person().name);
  }

  /** A subject line of 20 to 90 characters. */
  title(): string {
    let title = `${this.fill(this.rng.pick(TITLE_SUBJECTS))} ${this.fill(this.rng.pick(TITLE_PROBLEMS))}`;
    while (codePointLength(title) < 20 || this.rng.chance(0.35)) {
      const context = this.fill(this.rng.pick(TITLE_CONTEXTS));
      if (title.includes(context)) continue;
      const longer = `${title} ${context}`;
      if (codePointLength(longer) > 90) break;
      title = longer;
    }
    const prefix = this.rng.chance(0.08) ? this.rng.pick(TITLE_PREFIXES) : "";
    return codePointLength(prefix + title) <= 90 ? prefix + title : title;
  }

  /** A ticket description of 150 to 1500 characters, skewed to the short end. */
  description(): string {
    return this.compose(this.descriptionPool, 150, 1500, 4);
  }

  /** A comment body of 40 to 900 characters, skewed to the short end. */
  commentBody(): string {
    return this.compose(this.commentPool, 40, 900, 5.5);
  }

  /** A timesheet note of 0 to 200 characters; some technicians leave it empty. */
  note(): string {
    if (this.rng.chance(0.04)) return "";
    const first = this.rng.int(0, this.notePool.texts.length - 1);
    if (this.rng.chance(0.6)) return this.notePool.texts[first];
    const second = this.rng.int(0, this.notePool.texts.length - 1);
    const both = `${this.notePool.texts[first]}; ${this.notePool.texts[second]}`;
    return this.notePool.chars[first] + this.notePool.chars[second] + 2 <= 200 ? both : this.notePool.texts[first];
  }

  /** A requester with a realistic address: 'Zoë O'Brien' <zoe.obrien@contoso.ch>. */
  person(): Person {
    const first = this.rng.pick(FIRST_NAMES);
    const last = this.rng.pick(LAST_NAMES);
    const [f, l] = [asciiFold(first), asciiFold(last)];
    const domain = this.rng.pick(EMAIL_DOMAINS);
    const style = this.rng.int(0, 9);
    const local = style < 6 ? `${f}.${l}` : style < 8 ? `${f[0]}${l}` : style < 9 ? `${f}_${l}` : `${f}.${l}${this.rng.int(2, 99)}`;
    return { name: `${first} ${last}`, email: `${local}@${domain}` };
  }

  /** Concatenates pooled sentences up to a drawn length; `skew` > 1 favours short texts. */
  private compose(pool: SentencePool, minChars: number, maxChars: number, skew: number): string {
    const target = minChars + Math.floor((maxChars - minChars) * this.rng.float() ** skew);
    let text = "";
    let chars = 0;
    // Sentences are at most ~200 characters, so stopping when the next one
    // would overflow still leaves the text well above minChars.
    while (chars < target) {
      const i = this.rng.int(0, pool.texts.length - 1);
      const separator = chars === 0 ? "" : SEPARATORS.pick(this.rng);
      if (chars + separator.length + pool.chars[i] > maxChars) break;
      text += separator + pool.texts[i];
      chars += separator.length + pool.chars[i];
    }
    return text;
  }

  private buildPool(templates: readonly string[]): SentencePool {
    const texts = Array.from({ length: POOL_SIZE }, () => this.fill(this.rng.pick(templates)));
    return { texts, chars: texts.map(codePointLength) };
  }

  private fill(template: string): string {
    return template.replace(/\{(\w+)\}/g, (_match, slot: string) => this.rng.pick(SLOTS[slot]));
  }
}
