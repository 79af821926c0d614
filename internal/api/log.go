package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/shiliantong/shiliantong/internal/ledger"
	"github.com/shiliantong/shiliantong/internal/ledgerlog"
)

// Stable codes of the transparency log's problems.
const (
	CodeTransferNotFound   = "transfer_not_found"
	CodeTransferNotInLog   = "transfer_not_in_log"
	CodeTreeSizeBeyondLog  = "tree_size_beyond_log"
	CodeLeafNotInTree      = "leaf_not_in_tree"
	CodeCheckpointNotFound = "checkpoint_not_found"
	CodeInvalidTreeSizes   = "invalid_tree_sizes"
)

const logTag = "Transparency log"

type textOutput struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

// LeafView is a transfer's place in the log.
type LeafView struct {
	TransferID string `json:"transfer_id"`
	LeafIndex  uint64 `json:"leaf_index" doc:"The leaf's index in the log, from 0."`
	LeafHash   []byte `json:"leaf_hash" doc:"The RFC 6962 leaf hash SHA-256(0x00 ‖ leaf), base64."`
	Leaf       []byte `json:"leaf" doc:"The transfer's canonical encoding (docs/log.md), base64."`
	LogSize    uint64 `json:"log_size" doc:"The number of leaves in the log now."`
}

func logProblem(err error) error {
	switch {
	case errors.Is(err, ledgerlog.ErrUnknownTransfer):
		return problem(http.StatusNotFound, CodeTransferNotFound, "no transfer has this id")
	case errors.Is(err, ledgerlog.ErrNotLogged):
		return problem(http.StatusNotFound, CodeTransferNotInLog,
			"the transfer is committed but not in the log yet; the log appends every committed transfer within a second, ask again")
	case errors.Is(err, ledgerlog.ErrBeyondLog):
		return problem(http.StatusUnprocessableEntity, CodeTreeSizeBeyondLog, "the tree size is beyond the log's size")
	case errors.Is(err, ledgerlog.ErrBadRange):
		return problem(http.StatusUnprocessableEntity, CodeInvalidTreeSizes, err.Error())
	case errors.Is(err, ledgerlog.ErrNoCheckpoint):
		return problem(http.StatusNotFound, CodeCheckpointNotFound, "the server signed no checkpoint of this tree size")
	}
	return err
}

func parseTransferID(s string) (ledger.ID, error) {
	id, err := ledger.ParseID(s)
	if err != nil || id.IsZero() {
		return id, invalid("query.transfer_id", "transfer_id must be a transfer's UUID")
	}
	return id, nil
}

func registerLog(a huma.API, lg *ledgerlog.Log) {
	huma.Register(a, huma.Operation{
		OperationID: "logCheckpoint", Method: http.MethodGet, Path: "/v1/log/checkpoint", Tags: []string{logTag},
		Summary: "The newest signed checkpoint of the transparency log (or the one of a tree size)",
		Description: "A C2SP signed note (text/plain): the body is \"<origin>\\n<tree size>\\n<base64 root hash>\\n\", then a blank line and " +
			"an Ed25519 signature line by the key of GET /v1/log/key. The server signs a new checkpoint at least every second while the ledger grows.",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		Size int64 `query:"size" default:"-1" doc:"The tree size of an earlier checkpoint; omitted: the newest."`
	}) (*textOutput, error) {
		var (
			c   ledgerlog.StoredCheckpoint
			err error
		)
		if in.Size < 0 {
			c, err = lg.Latest(ctx)
		} else {
			if uint64(in.Size) > lg.Size() {
				return nil, logProblem(ledgerlog.ErrBeyondLog)
			}
			c, err = lg.CheckpointAt(ctx, uint64(in.Size))
		}
		if err != nil {
			return nil, logProblem(err)
		}
		return &textOutput{ContentType: "text/plain; charset=utf-8", Body: []byte(c.Note)}, nil
	})
	huma.Register(a, huma.Operation{
		OperationID: "logKey", Method: http.MethodGet, Path: "/v1/log/key", Tags: []string{logTag},
		Summary:     "The log's public key, in the signed-note verifier-key format",
		Description: "\"<name>+<key hash>+<base64 of 0x01 ‖ the Ed25519 public key>\" (text/plain). The name is the checkpoints' origin.",
	}, func(ctx context.Context, _ *struct{}) (*textOutput, error) {
		return &textOutput{ContentType: "text/plain; charset=utf-8", Body: []byte(lg.VerifierKey() + "\n")}, nil
	})
	huma.Register(a, huma.Operation{
		OperationID: "logLeaf", Method: http.MethodGet, Path: "/v1/log/leaf", Tags: []string{logTag},
		Summary:     "A transfer's leaf in the log",
		Description: "The log appends every committed transfer within a second of its commit; until then this answers 404 transfer_not_in_log.",
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		TransferID string `query:"transfer_id" required:"true" maxLength:"64" doc:"The transfer's id (UUID)."`
	}) (*struct{ Body LeafView }, error) {
		id, err := parseTransferID(in.TransferID)
		if err != nil {
			return nil, err
		}
		leaf, err := lg.LeafOf(ctx, id)
		if err != nil {
			return nil, logProblem(err)
		}
		return &struct{ Body LeafView }{LeafView{TransferID: id.String(), LeafIndex: leaf.Index, LeafHash: leaf.Hash,
			Leaf: leaf.Encoded, LogSize: lg.Size()}}, nil
	})
	huma.Register(a, huma.Operation{
		OperationID: "logInclusion", Method: http.MethodGet, Path: "/v1/log/inclusion", Tags: []string{logTag},
		Summary: "An inclusion proof of a transfer in the log",
		Description: "The RFC 6962 inclusion proof of the transfer's leaf in the tree of tree_size leaves (default: the newest checkpoint's). " +
			"Verify it with any RFC 6962 library against the root of the checkpoint of that size, or with `slt verify`.",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		TransferID string `query:"transfer_id" required:"true" maxLength:"64" doc:"The transfer's id (UUID)."`
		TreeSize   int64  `query:"tree_size" minimum:"1" doc:"The tree size; omitted: the newest checkpoint's."`
	}) (*struct{ Body ledgerlog.InclusionProof }, error) {
		id, err := parseTransferID(in.TransferID)
		if err != nil {
			return nil, err
		}
		leaf, err := lg.LeafOf(ctx, id)
		if err != nil {
			return nil, logProblem(err)
		}
		size := uint64(in.TreeSize)
		if size == 0 {
			c, err := lg.Latest(ctx)
			if err != nil {
				return nil, logProblem(err)
			}
			size = c.Size
		}
		if leaf.Index >= size {
			return nil, problem(http.StatusUnprocessableEntity, CodeLeafNotInTree,
				"the transfer is leaf "+strconv.FormatUint(leaf.Index, 10)+", after the tree of "+strconv.FormatUint(size, 10)+
					" leaves; ask for a larger tree_size, or wait for the next checkpoint",
				&huma.ErrorDetail{Location: "query.tree_size", Message: "too small for this transfer"})
		}
		hashes, err := lg.Inclusion(ctx, leaf.Index, size)
		if err != nil {
			return nil, logProblem(err)
		}
		return &struct{ Body ledgerlog.InclusionProof }{ledgerlog.InclusionProof{TransferID: id.String(), LeafIndex: leaf.Index,
			TreeSize: size, LeafHash: leaf.Hash, Leaf: leaf.Encoded, Hashes: hashes}}, nil
	})
	huma.Register(a, huma.Operation{
		OperationID: "logConsistency", Method: http.MethodGet, Path: "/v1/log/consistency", Tags: []string{logTag},
		Summary:     "A consistency proof between two tree sizes",
		Description: "The RFC 6962 consistency proof that the tree of `to` leaves (default: the newest checkpoint's) extends the tree of `from` leaves.",
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *struct {
		From int64 `query:"from" required:"true" minimum:"1" doc:"The smaller tree size."`
		To   int64 `query:"to" minimum:"1" doc:"The larger tree size; omitted: the newest checkpoint's."`
	}) (*struct{ Body ledgerlog.ConsistencyProof }, error) {
		to := uint64(in.To)
		if to == 0 {
			c, err := lg.Latest(ctx)
			if err != nil {
				return nil, logProblem(err)
			}
			to = c.Size
		}
		from := uint64(in.From)
		if from > to {
			return nil, problem(http.StatusUnprocessableEntity, CodeInvalidTreeSizes, "from must not exceed to",
				&huma.ErrorDetail{Location: "query.from", Message: "larger than to"})
		}
		hashes, err := lg.Consistency(ctx, from, to)
		if err != nil {
			return nil, logProblem(err)
		}
		return &struct{ Body ledgerlog.ConsistencyProof }{ledgerlog.ConsistencyProof{From: from, To: to, Hashes: hashes}}, nil
	})
}
