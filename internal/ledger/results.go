package ledger

import "fmt"

// TransferResult is the outcome of one transfer in a batch. The names
// (String) are part of the API and never change meaning.
type TransferResult uint8

const (
	TransferCreated TransferResult = iota
	TransferExists
	TransferExistsWithDifferentFields
	TransferLinkedEventFailed
	TransferLinkedEventChainOpen
	TransferIDMustNotBeZero
	TransferFlagsReserved
	TransferFlagsAreMutuallyExclusive
	TransferDebitAccountIDMustNotBeZero
	TransferCreditAccountIDMustNotBeZero
	TransferAccountsMustBeDifferent
	TransferPendingIDMustBeZero
	TransferPendingIDMustNotBeZero
	TransferPendingIDMustBeDifferent
	TransferTimeoutReservedForPendingTransfer
	TransferTimeoutTooLong
	TransferAmountMustBePositive
	TransferAmountMustNotBeNegative
	TransferCodeMustNotBeZero
	TransferCurrencyInvalid
	TransferReferenceTooLong
	TransferDebitAccountNotFound
	TransferCreditAccountNotFound
	TransferAccountsMustHaveTheSameCurrency
	TransferCurrencyMustMatchAccounts
	TransferPendingTransferNotFound
	TransferPendingTransferNotPending
	TransferPendingTransferHasDifferentDebitAccountID
	TransferPendingTransferHasDifferentCreditAccountID
	TransferPendingTransferHasDifferentCurrency
	TransferPendingTransferHasDifferentCode
	TransferPendingTransferHasDifferentAmount
	TransferExceedsPendingTransferAmount
	TransferPendingTransferAlreadyPosted
	TransferPendingTransferAlreadyVoided
	TransferPendingTransferExpired
	TransferOverflowsDebitsPending
	TransferOverflowsCreditsPending
	TransferOverflowsDebitsPosted
	TransferOverflowsCreditsPosted
	TransferOverflowsDebits
	TransferOverflowsCredits
	TransferExceedsCredits
	TransferExceedsDebits

	transferResultCount
)

var transferResultNames = [transferResultCount]string{
	TransferCreated:                                    "created",
	TransferExists:                                     "exists",
	TransferExistsWithDifferentFields:                  "exists_with_different_fields",
	TransferLinkedEventFailed:                          "linked_event_failed",
	TransferLinkedEventChainOpen:                       "linked_event_chain_open",
	TransferIDMustNotBeZero:                            "id_must_not_be_zero",
	TransferFlagsReserved:                              "flags_reserved",
	TransferFlagsAreMutuallyExclusive:                  "flags_are_mutually_exclusive",
	TransferDebitAccountIDMustNotBeZero:                "debit_account_id_must_not_be_zero",
	TransferCreditAccountIDMustNotBeZero:               "credit_account_id_must_not_be_zero",
	TransferAccountsMustBeDifferent:                    "accounts_must_be_different",
	TransferPendingIDMustBeZero:                        "pending_id_must_be_zero",
	TransferPendingIDMustNotBeZero:                     "pending_id_must_not_be_zero",
	TransferPendingIDMustBeDifferent:                   "pending_id_must_be_different",
	TransferTimeoutReservedForPendingTransfer:          "timeout_reserved_for_pending_transfer",
	TransferTimeoutTooLong:                             "timeout_too_long",
	TransferAmountMustBePositive:                       "amount_must_be_positive",
	TransferAmountMustNotBeNegative:                    "amount_must_not_be_negative",
	TransferCodeMustNotBeZero:                          "code_must_not_be_zero",
	TransferCurrencyInvalid:                            "currency_invalid",
	TransferReferenceTooLong:                           "reference_too_long",
	TransferDebitAccountNotFound:                       "debit_account_not_found",
	TransferCreditAccountNotFound:                      "credit_account_not_found",
	TransferAccountsMustHaveTheSameCurrency:            "accounts_must_have_the_same_currency",
	TransferCurrencyMustMatchAccounts:                  "currency_must_match_accounts",
	TransferPendingTransferNotFound:                    "pending_transfer_not_found",
	TransferPendingTransferNotPending:                  "pending_transfer_not_pending",
	TransferPendingTransferHasDifferentDebitAccountID:  "pending_transfer_has_different_debit_account_id",
	TransferPendingTransferHasDifferentCreditAccountID: "pending_transfer_has_different_credit_account_id",
	TransferPendingTransferHasDifferentCurrency:        "pending_transfer_has_different_currency",
	TransferPendingTransferHasDifferentCode:            "pending_transfer_has_different_code",
	TransferPendingTransferHasDifferentAmount:          "pending_transfer_has_different_amount",
	TransferExceedsPendingTransferAmount:               "exceeds_pending_transfer_amount",
	TransferPendingTransferAlreadyPosted:               "pending_transfer_already_posted",
	TransferPendingTransferAlreadyVoided:               "pending_transfer_already_voided",
	TransferPendingTransferExpired:                     "pending_transfer_expired",
	TransferOverflowsDebitsPending:                     "overflows_debits_pending",
	TransferOverflowsCreditsPending:                    "overflows_credits_pending",
	TransferOverflowsDebitsPosted:                      "overflows_debits_posted",
	TransferOverflowsCreditsPosted:                     "overflows_credits_posted",
	TransferOverflowsDebits:                            "overflows_debits",
	TransferOverflowsCredits:                           "overflows_credits",
	TransferExceedsCredits:                             "exceeds_credits",
	TransferExceedsDebits:                              "exceeds_debits",
}

func (r TransferResult) String() string {
	if r < transferResultCount {
		return transferResultNames[r]
	}
	return fmt.Sprintf("transfer_result_%d", r)
}

// OK reports whether the transfer is in the ledger: created now or before.
func (r TransferResult) OK() bool { return r == TransferCreated || r == TransferExists }

// TransferResultNames lists every result name, for documentation.
func TransferResultNames() []string { return append([]string(nil), transferResultNames[:]...) }

// AccountResult is the outcome of creating one account.
type AccountResult uint8

const (
	AccountCreated AccountResult = iota
	AccountExists
	AccountExistsWithDifferentFields
	AccountIDMustNotBeZero
	AccountFlagsReserved
	AccountFlagsAreMutuallyExclusive
	AccountCodeMustNotBeZero
	AccountCurrencyInvalid
	AccountOwnerTooLong

	accountResultCount
)

var accountResultNames = [accountResultCount]string{
	AccountCreated:                   "created",
	AccountExists:                    "exists",
	AccountExistsWithDifferentFields: "exists_with_different_fields",
	AccountIDMustNotBeZero:           "id_must_not_be_zero",
	AccountFlagsReserved:             "flags_reserved",
	AccountFlagsAreMutuallyExclusive: "flags_are_mutually_exclusive",
	AccountCodeMustNotBeZero:         "code_must_not_be_zero",
	AccountCurrencyInvalid:           "currency_invalid",
	AccountOwnerTooLong:              "owner_too_long",
}

func (r AccountResult) String() string {
	if r < accountResultCount {
		return accountResultNames[r]
	}
	return fmt.Sprintf("account_result_%d", r)
}

// OK reports whether the account is in the ledger: created now or before.
func (r AccountResult) OK() bool { return r == AccountCreated || r == AccountExists }

// AccountResultNames lists every result name, for documentation.
func AccountResultNames() []string { return append([]string(nil), accountResultNames[:]...) }
