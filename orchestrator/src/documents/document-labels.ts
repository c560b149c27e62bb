import type { DocumentLanguage } from './document-format.ts';

/**
 * Every word the renderers print around the data, in both languages. One interface, two objects:
 * a label missing in one language does not compile.
 */
export interface DocumentLabels {
  invoiceTitle: string;
  kindUsageFeeStatement: string;
  kindParticipationFeeInvoice: string;
  /** Put after an organisation's name: `株式会社サンプル 御中`. Empty in English. */
  honorificOrganisation: string;
  /** Put after a person's name: `山田 太郎 様`. Empty in English. */
  honorificPerson: string;
  billTo: string;
  issuer: string;
  registrationNumber: string;
  invoiceNumber: string;
  issuedOn: string;
  period: string;
  dueOn: string;
  amountDue: string;
  columnDate: string;
  columnDescription: string;
  columnQuantity: string;
  columnUnitPrice: string;
  columnTaxRate: string;
  columnAmount: string;
  taxSummary: string;
  columnTaxableAmount: string;
  columnTax: string;
  columnTotalWithTax: string;
  /** `10%対象` / `Subject to 10%`. */
  subjectToRate: (rate: number) => string;
  /** The heading of the returns (適格返還請求書の記載事項). */
  returns: string;
  /** What the returns' dates are: the original supplies'. */
  returnsDateNote: string;
  /** `返還 10%対象` / `Returned 10%`. */
  returnedAtRate: (rate: number) => string;
  grandTotal: string;
  payments: string;
  paidOn: string;
  paidAmount: string;
  balance: string;
  notes: string;
  page: (page: number, pages: number) => string;
  continued: string;
  noLines: string;
  // CSV
  csvRecordType: string;
  csvRecordLine: string;
  csvRecordTaxTotal: string;
  /** A returned amount (negative), and the returns' total per rate. */
  csvRecordReturn: string;
  csvRecordReturnTaxTotal: string;
  csvRecordTotal: string;
  csvRecordPayment: string;
  csvIssuerName: string;
  csvRecipientName: string;
  // Transcript
  transcriptTitle: string;
  trainee: string;
  email: string;
  organisation: string;
  course: string;
  framework: string;
  exercises: string;
  columnScenario: string;
  columnStarted: string;
  columnObjective: string;
  columnSolvedOn: string;
  columnStatements: string;
  statementsEvidenced: string;
  columnStatementId: string;
  columnStatementType: string;
  columnStatementText: string;
  columnFirstDemonstrated: string;
  /** A NICE statement type (`knowledge`, `skill`, `ability`, `task`) in this language. */
  statementType: (type: string) => string;
  roleProgress: string;
  columnRole: string;
  columnDemonstrated: string;
  columnProgress: string;
  /** `31 / 212`. */
  demonstratedOf: (demonstrated: number, total: number) => string;
  noObjectivesSolved: string;
  statementTextNote: string;
  csvRecordObjective: string;
  csvRecordStatement: string;
  csvRecordRole: string;
  csvExercise: string;
  csvScenarioVersion: string;
  csvId: string;
  csvTitle: string;
  csvTotal: string;
}

const ja: DocumentLabels = {
  invoiceTitle: '適格請求書',
  kindUsageFeeStatement: 'CYROP 利用料明細書',
  kindParticipationFeeInvoice: 'CYNEX 参加費請求書',
  honorificOrganisation: '御中',
  honorificPerson: '様',
  billTo: '請求先',
  issuer: '発行者',
  registrationNumber: '登録番号',
  invoiceNumber: '請求書番号',
  issuedOn: '発行日',
  period: '対象期間',
  dueOn: 'お支払期限',
  amountDue: 'ご請求金額（税込）',
  columnDate: '日付',
  columnDescription: '品目',
  columnQuantity: '数量',
  columnUnitPrice: '単価',
  columnTaxRate: '税率',
  columnAmount: '金額（税抜）',
  taxSummary: '税率ごとの合計',
  columnTaxableAmount: '対象金額（税抜）',
  columnTax: '消費税額等',
  columnTotalWithTax: '合計（税込）',
  subjectToRate: (rate) => `${rate}%対象`,
  returns: '返還（適格返還請求書）',
  returnsDateNote: '日付は返還の対象となった取引（元の売上）の日付です。',
  returnedAtRate: (rate) => `返還 ${rate}%対象`,
  grandTotal: '合計（税込）',
  payments: 'ご入金',
  paidOn: '入金日',
  paidAmount: '入金額',
  balance: '差引残高',
  notes: '備考',
  page: (page, pages) => `${page} / ${pages} ページ`,
  continued: '（続き）',
  noLines: '明細はありません',
  csvRecordType: '行種別',
  csvRecordLine: '明細',
  csvRecordTaxTotal: '税率別合計',
  csvRecordReturn: '返還',
  csvRecordReturnTaxTotal: '返還税率別合計',
  csvRecordTotal: '合計',
  csvRecordPayment: '入金',
  csvIssuerName: '発行者名',
  csvRecipientName: '請求先名',
  transcriptTitle: '演習履歴証明書',
  trainee: '受講者',
  email: 'メールアドレス',
  organisation: '所属',
  course: 'コース',
  framework: 'NICE フレームワーク',
  exercises: '受講した演習',
  columnScenario: 'シナリオ',
  columnStarted: '開始日',
  columnObjective: '達成した課題',
  columnSolvedOn: '達成日',
  columnStatements: '実証した項目',
  statementsEvidenced: '実証した NICE 項目',
  columnStatementId: 'ID',
  columnStatementType: '種別',
  columnStatementText: '内容（NIST 原文）',
  columnFirstDemonstrated: '初回実証日',
  statementType: (type) =>
    ({ knowledge: '知識', skill: 'スキル', ability: '能力', task: 'タスク' })[type.toLowerCase()] ?? type,
  roleProgress: 'ワークロール別の進捗',
  columnRole: 'ワークロール',
  columnDemonstrated: '実証数 / 全項目数',
  columnProgress: '進捗',
  demonstratedOf: (demonstrated, total) => `${demonstrated} / ${total}`,
  noObjectivesSolved: '達成した課題はありません',
  statementTextNote: 'NICE 項目の内容は NIST が公開する英語原文のまま記載しています。',
  csvRecordObjective: '課題',
  csvRecordStatement: 'NICE項目',
  csvRecordRole: 'ワークロール',
  csvExercise: '演習ID',
  csvScenarioVersion: 'シナリオ版',
  csvId: 'ID',
  csvTitle: '名称・内容',
  csvTotal: '全項目数',
};

const en: DocumentLabels = {
  invoiceTitle: 'Qualified Invoice',
  kindUsageFeeStatement: 'CYROP usage-fee statement',
  kindParticipationFeeInvoice: 'CYNEX participation-fee invoice',
  honorificOrganisation: '',
  honorificPerson: '',
  billTo: 'Bill to',
  issuer: 'Issuer',
  registrationNumber: 'Registration number',
  invoiceNumber: 'Invoice number',
  issuedOn: 'Issue date',
  period: 'Period',
  dueOn: 'Due date',
  amountDue: 'Amount due (tax included)',
  columnDate: 'Date',
  columnDescription: 'Description',
  columnQuantity: 'Qty',
  columnUnitPrice: 'Unit price',
  columnTaxRate: 'Tax rate',
  columnAmount: 'Amount (excl. tax)',
  taxSummary: 'Totals by tax rate',
  columnTaxableAmount: 'Taxable amount',
  columnTax: 'Consumption tax',
  columnTotalWithTax: 'Total (incl. tax)',
  subjectToRate: (rate) => `Subject to ${rate}%`,
  returns: 'Returns (qualified return invoice)',
  returnsDateNote: 'Dates are those of the original transactions the returns refer to.',
  returnedAtRate: (rate) => `Returned ${rate}%`,
  grandTotal: 'Total (incl. tax)',
  payments: 'Payments received',
  paidOn: 'Date',
  paidAmount: 'Amount',
  balance: 'Balance due',
  notes: 'Notes',
  page: (page, pages) => `Page ${page} of ${pages}`,
  continued: '(continued)',
  noLines: 'No lines',
  csvRecordType: 'record',
  csvRecordLine: 'line',
  csvRecordTaxTotal: 'tax-total',
  csvRecordReturn: 'return',
  csvRecordReturnTaxTotal: 'return-tax-total',
  csvRecordTotal: 'total',
  csvRecordPayment: 'payment',
  csvIssuerName: 'issuer',
  csvRecipientName: 'recipient',
  transcriptTitle: 'Training Transcript',
  trainee: 'Trainee',
  email: 'Email',
  organisation: 'Organisation',
  course: 'Course',
  framework: 'NICE Framework',
  exercises: 'Exercises taken',
  columnScenario: 'Scenario',
  columnStarted: 'Started',
  columnObjective: 'Objective solved',
  columnSolvedOn: 'Solved on',
  columnStatements: 'Statements',
  statementsEvidenced: 'NICE statements demonstrated',
  columnStatementId: 'ID',
  columnStatementType: 'Type',
  columnStatementText: 'Statement (NIST text)',
  columnFirstDemonstrated: 'First demonstrated',
  statementType: (type) => type,
  roleProgress: 'Progress by work role',
  columnRole: 'Work role',
  columnDemonstrated: 'Demonstrated / total',
  columnProgress: 'Progress',
  demonstratedOf: (demonstrated, total) => `${demonstrated} / ${total}`,
  noObjectivesSolved: 'No objectives solved',
  statementTextNote: "Statement texts are NIST's published English text.",
  csvRecordObjective: 'objective',
  csvRecordStatement: 'statement',
  csvRecordRole: 'role',
  csvExercise: 'exercise',
  csvScenarioVersion: 'scenario version',
  csvId: 'id',
  csvTitle: 'title or text',
  csvTotal: 'total',
};

export const documentLabels: Record<DocumentLanguage, DocumentLabels> = { ja, en };
