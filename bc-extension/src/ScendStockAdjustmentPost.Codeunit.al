/// <summary>
/// Posts a stock adjustment: one item journal line per adjustment line through Item Jnl.-Post Line, with the
/// template and batch from Scend Integration Setup, Document No. from the batch's No. Series, Entry Type by
/// the sign of the quantity. Nothing commits inside, so any error rolls every line back (contract §2.3).
/// </summary>
codeunit 50122 "Scend Stock Adjustment Post"
{
    Access = Internal;
    TableNo = "Scend Stock Adjustment";

    trigger OnRun()
    begin
        Post(Rec);
    end;

    var
        NothingToPostErr: Label 'There is nothing to post.';

    procedure Post(var ScendStockAdjustment: Record "Scend Stock Adjustment")
    var
        ScendIntegrationSetup: Record "Scend Integration Setup";
        ScendStockAdjustmentLine: Record "Scend Stock Adjustment Line";
        ItemJournalTemplate: Record "Item Journal Template";
        ItemJournalBatch: Record "Item Journal Batch";
        NoSeries: Codeunit "No. Series";
        DocumentNo: Code[20];
        ReasonCode: Code[10];
    begin
        ScendStockAdjustment.ReadIsolation := IsolationLevel::UpdLock;
        ScendStockAdjustment.GetBySystemId(ScendStockAdjustment.SystemId);
        if ScendStockAdjustment.Status = ScendStockAdjustment.Status::Posted then
            exit;

        ScendStockAdjustmentLine.SetRange("Document Id", ScendStockAdjustment.SystemId);
        if ScendStockAdjustmentLine.IsEmpty() then
            Error(NothingToPostErr);

        ScendIntegrationSetup.GetItemJournalBatch(ItemJournalTemplate, ItemJournalBatch);
        ReasonCode := ScendStockAdjustment."Reason Code";
        if ReasonCode = '' then
            ReasonCode := ScendIntegrationSetup."Default Reason Code";
        DocumentNo := NoSeries.GetNextNo(ItemJournalBatch."No. Series", ScendStockAdjustment."Posting Date");

        ScendStockAdjustmentLine.FindSet();
        repeat
            PostLine(ScendStockAdjustment, ScendStockAdjustmentLine, ItemJournalTemplate, ItemJournalBatch, DocumentNo, ReasonCode);
        until ScendStockAdjustmentLine.Next() = 0;

        ScendStockAdjustment.Status := ScendStockAdjustment.Status::Posted;
        ScendStockAdjustment."Document No." := DocumentNo;
        ScendStockAdjustment.Modify(true);
    end;

    local procedure PostLine(ScendStockAdjustment: Record "Scend Stock Adjustment"; ScendStockAdjustmentLine: Record "Scend Stock Adjustment Line"; ItemJournalTemplate: Record "Item Journal Template"; ItemJournalBatch: Record "Item Journal Batch"; DocumentNo: Code[20]; ReasonCode: Code[10])
    var
        Item: Record Item;
        ItemJournalLine: Record "Item Journal Line";
        ItemJnlPostLine: Codeunit "Item Jnl.-Post Line";
    begin
        Item.SetLoadFields("No.");
        Item.GetBySystemId(ScendStockAdjustmentLine."Item Id");

        // The journal line is never inserted: it only carries the values to Item Jnl.-Post Line.
        ItemJournalLine.Init();
        ItemJournalLine."Journal Template Name" := ItemJournalTemplate.Name;
        ItemJournalLine."Journal Batch Name" := ItemJournalBatch.Name;
        ItemJournalLine."Line No." := ScendStockAdjustmentLine."Line No.";
        ItemJournalLine.Validate("Posting Date", ScendStockAdjustment."Posting Date");
        ItemJournalLine."Document Date" := ScendStockAdjustment."Posting Date";
        if ScendStockAdjustmentLine.Quantity > 0 then
            ItemJournalLine.Validate("Entry Type", ItemJournalLine."Entry Type"::"Positive Adjmt.")
        else
            ItemJournalLine.Validate("Entry Type", ItemJournalLine."Entry Type"::"Negative Adjmt.");
        ItemJournalLine.Validate("Item No.", Item."No.");
        ItemJournalLine.Validate("Location Code", ScendStockAdjustmentLine."Location Code");
        ItemJournalLine.Validate(Quantity, Abs(ScendStockAdjustmentLine.Quantity));
        ItemJournalLine."Document No." := DocumentNo;
        ItemJournalLine."External Document No." := ScendStockAdjustment."Scend Adjustment Id";
        ItemJournalLine.Validate("Reason Code", ReasonCode);
        ItemJournalLine."Source Code" := ItemJournalTemplate."Source Code";
        if ScendStockAdjustment.Description <> '' then
            ItemJournalLine.Description := CopyStr(ScendStockAdjustment.Description, 1, MaxStrLen(ItemJournalLine.Description));
        ItemJnlPostLine.RunWithCheck(ItemJournalLine);
    end;
}
