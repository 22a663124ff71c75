package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/textdesk/textdesk/activities"
	"github.com/textdesk/textdesk/conversation"
)

// ConversationInput starts (or continues-as-new) a conversation workflow.
type ConversationInput struct {
	State conversation.State
}

// InboundSignal is a customer's SMS as the Twilio webhook delivered it.
type InboundSignal struct {
	MessageSid  string
	From        string
	To          string
	Body        string
	NumSegments int
	ReceivedAt  time.Time
}

// ReplyRequest asks the workflow to send an agent's message. ConversationID guards
// against a request meant for an earlier conversation reaching a newer run.
type ReplyRequest struct {
	ConversationID string
	MessageID      string
	AuthorID       string
	Body           string
}

// ReplyResult answers a ReplyRequest once the message is stored as queued.
type ReplyResult struct {
	MessageID string
	Status    string
}

// activity stubs: the workflow names activities through a nil *Activities, as the SDK expects.
var acts *activities.Activities

// Conversation is the workflow for one conversation, from the first text to wrap-up.
func Conversation(ctx workflow.Context, in ConversationInput) error {
	if in.State.ID == "" || in.State.TeamID == "" {
		return temporal.NewNonRetryableApplicationError("conversation input needs an id and a team", conversation.EInvalid, nil)
	}
	w := &conversationWorkflow{state: in.State}
	if err := w.setup(ctx); err != nil {
		return err
	}
	return w.run(ctx)
}

type conversationWorkflow struct {
	state conversation.State
	// sends counts send coroutines still running; continue-as-new waits for them.
	sends int
}

func (w *conversationWorkflow) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (conversation.State, error) {
		return w.state, nil
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateReply, w.reply, workflow.UpdateHandlerOptions{
		Validator: w.validateReply,
	})
}

func (w *conversationWorkflow) run(ctx workflow.Context) error {
	inbound := workflow.GetSignalChannel(ctx, SignalInbound)
	for {
		var sig InboundSignal
		inbound.Receive(ctx, &sig)
		w.onInbound(ctx, sig)

		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return w.continueAsNew(ctx, inbound)
		}
	}
}

// continueAsNew starts a fresh run with the same state once no handler or send is in
// flight and every signal already delivered has been handled.
func (w *conversationWorkflow) continueAsNew(ctx workflow.Context, inbound workflow.ReceiveChannel) error {
	for {
		if err := workflow.Await(ctx, func() bool { return w.sends == 0 && workflow.AllHandlersFinished(ctx) }); err != nil {
			return err
		}
		var sig InboundSignal
		if !inbound.ReceiveAsync(&sig) {
			break
		}
		w.onInbound(ctx, sig)
	}
	return workflow.NewContinueAsNewError(ctx, Conversation, ConversationInput{State: w.state})
}

func (w *conversationWorkflow) onInbound(ctx workflow.Context, sig InboundSignal) {
	log := workflow.GetLogger(ctx)
	var rec activities.RecordInboundResult
	err := workflow.ExecuteActivity(dbContext(ctx), acts.RecordInbound, activities.InboundMessage{
		ConversationID: w.state.ID,
		TeamID:         w.state.TeamID,
		MessageSid:     sig.MessageSid,
		From:           sig.From,
		To:             sig.To,
		Body:           sig.Body,
		NumSegments:    sig.NumSegments,
		ReceivedAt:     sig.ReceivedAt,
	}).Get(ctx, &rec)
	if err != nil {
		log.Error("inbound message not recorded", "MessageSid", sig.MessageSid, "error", err)
		return
	}
	if rec.Duplicate {
		log.Info("duplicate inbound webhook ignored", "MessageSid", sig.MessageSid)
		return
	}
	if err := w.apply(ctx, conversation.InboundReceived{
		MessageID:    rec.MessageID,
		At:           sig.ReceivedAt,
		ChatOn:       rec.ChatOn,
		AutoResponse: rec.AutoResponse,
	}); err != nil {
		log.Error("inbound message not applied", "MessageSid", sig.MessageSid, "error", err)
	}
}

func (w *conversationWorkflow) validateReply(ctx workflow.Context, req ReplyRequest) error {
	if req.ConversationID != w.state.ID {
		return domainError(conversation.Errorf(conversation.EConflict, "conversation is closed"))
	}
	return domainError(conversation.ValidateReply(w.state, w.replyEvent(ctx, req)))
}

func (w *conversationWorkflow) reply(ctx workflow.Context, req ReplyRequest) (ReplyResult, error) {
	if err := w.apply(ctx, w.replyEvent(ctx, req)); err != nil {
		return ReplyResult{}, domainError(err)
	}
	return ReplyResult{MessageID: req.MessageID, Status: "queued"}, nil
}

func (w *conversationWorkflow) replyEvent(ctx workflow.Context, req ReplyRequest) conversation.ReplyRequested {
	return conversation.ReplyRequested{MessageID: req.MessageID, AuthorID: req.AuthorID, Body: req.Body, At: workflow.Now(ctx)}
}

// apply runs one event through the state machine and carries out its commands in order.
func (w *conversationWorkflow) apply(ctx workflow.Context, ev conversation.Event) error {
	before := w.state
	next, cmds, err := conversation.Apply(w.state, ev)
	if err != nil {
		return err
	}
	w.state = next
	for _, cmd := range cmds {
		switch cmd := cmd.(type) {
		case conversation.SendMessage:
			if err := w.send(ctx, cmd); err != nil {
				return err
			}
		case conversation.SaveState:
			if err := w.save(ctx, before); err != nil {
				return err
			}
		}
	}
	return nil
}

// send stores the message now and hands it to Twilio in the background, so a reply's
// update returns as soon as the agent's message is safely recorded.
func (w *conversationWorkflow) send(ctx workflow.Context, cmd conversation.SendMessage) error {
	err := workflow.ExecuteActivity(dbContext(ctx), acts.RecordOutbound, activities.OutboundMessage{
		ConversationID: w.state.ID,
		MessageID:      cmd.MessageID,
		Kind:           cmd.Kind,
		AuthorID:       cmd.AuthorID,
		From:           w.state.TeamNumber,
		To:             w.state.Contact,
		Body:           cmd.Body,
		CreatedAt:      workflow.Now(ctx),
	}).Get(ctx, nil)
	if err != nil {
		return err
	}
	w.sends++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { w.sends-- }()
		var res activities.SendResult
		if err := workflow.ExecuteActivity(sendContext(ctx), acts.SendSMS, cmd.MessageID).Get(ctx, &res); err != nil {
			workflow.GetLogger(ctx).Error("message not handed to Twilio", "MessageID", cmd.MessageID, "error", err)
			return
		}
		if res.Reason != "" {
			workflow.GetLogger(ctx).Warn("message not sent", "MessageID", cmd.MessageID, "reason", res.Reason)
		}
	})
	return nil
}

// save mirrors state to Postgres, and to search attributes when the fields ops filter
// on changed (each upsert is a history event, so unchanged ones are skipped).
func (w *conversationWorkflow) save(ctx workflow.Context, before conversation.State) error {
	var updates []temporal.SearchAttributeUpdate
	if w.state.Status != before.Status {
		updates = append(updates, AttrStatus.ValueSet(string(w.state.Status)))
	}
	if w.state.NextAction != before.NextAction {
		updates = append(updates, AttrNextAction.ValueSet(string(w.state.NextAction)))
	}
	if len(updates) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
			return err
		}
	}
	return workflow.ExecuteActivity(dbContext(ctx), acts.SaveConversation, w.state).Get(ctx, nil)
}

// dbContext: Postgres writes retry until they succeed; an outage delays, never loses.
func dbContext(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    200 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
		},
	})
}

// sendContext: Twilio hand-offs retry transient failures for up to four hours; a
// message older than that is stale and is better failed than delivered.
func sendContext(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 4 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        5 * time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrTypeSendRefused},
		},
	})
}

// domainError carries a *conversation.Error across Temporal as an ApplicationError whose
// type is the error code, so the API can map it back to an HTTP status.
func domainError(err error) error {
	var e *conversation.Error
	if errors.As(err, &e) {
		return temporal.NewNonRetryableApplicationError(e.Message, e.Code, nil)
	}
	return err
}
